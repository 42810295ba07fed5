from datetime import date, timedelta

import chinese_calendar
from django.core.management.base import BaseCommand, CommandError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gridgov.workdays.calendar import WorkingCalendar, package_covers
from gridgov.workdays.choices import Coverage
from gridgov.workdays.models import CalendarDay


class Command(BaseCommand):
    @property
    def help(self):
        # Translated when asked for, not at import, so the active language applies.
        return _(
            "Show a year's holidays and make-up working days as deadlines will count them, "
            "and where they come from."
        )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)

    def handle(self, *args, year, **options):
        if not 1 <= year <= 9999:
            raise CommandError(_("The year must be between 1 and 9999."))
        first, last = date(year, 1, 1), date(year, 12, 31)
        calendar = WorkingCalendar(first, last)
        coverage = calendar.coverage(year)
        self.stdout.write(_("%(year)s: %(coverage)s") % {"year": year, "coverage": coverage.label})
        if coverage == Coverage.WEEKENDS_ONLY:
            message = _(
                "The %(year)s statutory holidays are not loaded; deadlines in %(year)s count "
                "weekends only. Add them under Working-day calendar."
            )
            self.stdout.write(message % {"year": year}, self.style.WARNING)
        rows = {row.date: row for row in CalendarDay.objects.filter(date__year=year)}
        day, working_days = first, 0
        while day <= last:
            worked = calendar.is_workday(day)
            working_days += worked
            row, package_name = rows.get(day), _package_name(day)
            # Whole named holidays (weekends in them too), make-up days, and every table row.
            if row or package_name or worked != (day.weekday() < 5):
                self.stdout.write(self._describe(day, worked, row, package_name))
            day += timedelta(days=1)
        self.stdout.write(_("%(count)d working days.") % {"count": working_days})

    def _describe(self, day: date, worked: bool, row: CalendarDay | None, package_name: str) -> str:
        if row is not None:
            name, source = row.name, Coverage.TABLE.label
        else:
            name, source = package_name, Coverage.PACKAGE.label
        status = _("working day") if worked else _("holiday")
        return f"{day.isoformat()} {date_format(day, 'D')}  {status}  {name}  ({source})"


def _package_name(day: date) -> str:
    if not package_covers(day.year):
        return ""
    _is_holiday, english = chinese_calendar.get_holiday_detail(day)
    # The package names days in English; its enum carries the Chinese the table uses.
    return chinese_calendar.Holiday(english).chinese if english else ""
