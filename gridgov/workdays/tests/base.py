"""Moments in the deployment's time zone, which the tests pin to the default."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.test import override_settings

from gridgov.workdays.models import CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")
in_shanghai = override_settings(TIME_ZONE="Asia/Shanghai")


def at(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of(year, month, day) -> datetime:
    return datetime.combine(date(year, month, day), time.max, tzinfo=SHANGHAI)


def holiday(year, month, day, name="") -> CalendarDay:
    return CalendarDay.objects.create(date=date(year, month, day), is_workday=False, name=name)


def makeup_workday(year, month, day, name="") -> CalendarDay:
    return CalendarDay.objects.create(date=date(year, month, day), is_workday=True, name=name)
