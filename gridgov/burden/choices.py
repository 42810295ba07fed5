from django.db import models
from django.utils.translation import gettext_lazy as _


class DemandKind(models.TextChoices):
    DATA_REQUEST = "data_request", _("Data request (报表)")
    TASK = "task", _("Task")
    MEETING = "meeting", _("Meeting")
    INSPECTION = "inspection", _("Inspection or check (督查检查)")
    INDICATOR = "indicator", _("Assessment indicator (考核指标)")
    CAMPAIGN = "campaign", _("Campaign")
    DOCUMENT = "document", _("Document to act on (发文)")


class Admission(models.TextChoices):
    """Whether a demand may reach the communities: under an admitted matter, held for the
    burden office, admitted by it as an exception, or refused."""

    ADMITTED = "admitted", _("Admitted (on the list)")
    HELD = "held", _("Held for the burden office")
    EXCEPTION = "exception", _("Admitted as an exception")
    REFUSED = "refused", _("Refused")


class RecipientState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    ANSWERED = "answered", _("Answered")
    EXTENSION_ASKED = "extension_asked", _("More time asked")
    OBJECTED = "objected", _("Objected")
    WITHDRAWN = "withdrawn", _("Withdrawn after an objection")


class SecondmentKind(models.TextChoices):
    SECONDED = "seconded", _("Seconded (借调)")
    DRAWN = "drawn", _("Drawn for a task (抽调)")


class Ruling(models.TextChoices):
    """The burden office's ruling on a community's objection."""

    UPHELD = "upheld", _("Upheld (withdrawn for this place)")
    OVERRULED = "overruled", _("Overruled (it is to be done)")
