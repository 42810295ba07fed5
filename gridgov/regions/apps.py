from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "gridgov.regions"
    verbose_name = _("Regions and grids")

    def ready(self):
        from gridgov.regions import signals  # noqa: F401
