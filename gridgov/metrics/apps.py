from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "gridgov.metrics"
    verbose_name = _("Metrics and rankings")

    def ready(self):
        from gridgov.metrics import checks  # noqa: F401  (registers the settings check)
