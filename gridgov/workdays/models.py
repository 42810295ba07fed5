from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """A day whose working status an administrator has set: a statutory holiday, or a
    make-up workday (调休) on a weekend. A row decides its date over the chinese_calendar
    package; days without a row follow the package, or Monday to Friday past its years.

    A row in a year marks the whole year as loaded from this table (no more "weekends only"
    warnings), so enter a year's published holidays and make-up workdays together.
    """

    # unique=True also gives the index behind the one date-range query each deadline makes.
    date = models.DateField(
        _("date"),
        unique=True,
        error_messages={"unique": _("This date is already in the working-day calendar.")},
    )
    is_workday = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Ticked: a make-up working day (调休). Unticked: a holiday."),
    )
    name = models.CharField(_("name"), max_length=50, blank=True, help_text=_("e.g. 春节"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        kind = _("working day") if self.is_workday else _("holiday")
        return f"{self.date.isoformat()} {self.name or kind}"
