from django.db import models
from django.utils.translation import gettext_lazy as _


class DeadlineUnit(models.TextChoices):
    """How a time limit is counted: `deadline_from(start, amount, unit)` dispatches on it."""

    HOURS = "hours", _("hours")
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("calendar days")


class Coverage(models.TextChoices):
    """Where a year's holidays and make-up workdays come from."""

    TABLE = "table", _("working-day calendar table")
    PACKAGE = "package", _("chinese_calendar package")
    WEEKENDS_ONLY = "weekends_only", _("weekends only (holidays not loaded)")
