from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from gridgov.workdays.models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "is_workday", "name", "note"]
    list_filter = ["is_workday"]
    # The year links are how administrators check that next year's holidays are loaded.
    date_hierarchy = "date"
    search_fields = ["name"]

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, day):
        return date_format(day.date, "l")
