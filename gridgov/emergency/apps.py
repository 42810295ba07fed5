from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "gridgov.emergency"
    verbose_name = _("Emergency mode (平战转换)")
