from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "gridgov.registry"
    verbose_name = _("Registry of people and places")

    def ready(self):
        # checks registers the deploy check; rollups keeps the counts on deletes.
        from gridgov.registry import checks, rollups  # noqa: F401

        rollups.connect()
