from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from gridgov.metrics.figures import metrics_settings, ranking_weights


@checks.register(checks.Tags.compatibility)
def check_metrics_settings(app_configs=None, **kwargs):
    """Stop `check`, `migrate` and `runserver` on a bad setting, not the first ranking page."""
    errors = []
    for read in (metrics_settings, ranking_weights):
        try:
            read()
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), id="gridgov_metrics.E001"))
    return errors
