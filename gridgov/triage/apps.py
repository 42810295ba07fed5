from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "gridgov.triage"
    verbose_name = _("Triage")

    def ready(self):
        # Auto-dispatch after intake: see gridgov.triage.classifier.connect_intake_hook.
        from gridgov.triage import classifier

        classifier.connect_intake_hook()
