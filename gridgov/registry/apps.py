from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "gridgov.registry"
    verbose_name = _("Registry of people and places")

    def ready(self):
        from gridgov.registry import checks  # noqa: F401 (registers the deploy check)
