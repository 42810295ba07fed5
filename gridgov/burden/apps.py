from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BurdenConfig(AppConfig):
    name = "gridgov.burden"
    verbose_name = _("Burden reduction (减负)")
