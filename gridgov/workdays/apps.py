from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "gridgov.workdays"
    # Deadline warnings send administrators to this name in the admin; keep the two alike.
    verbose_name = _("Working-day calendar")
