from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High risk")
    MEDIUM = "medium", _("Medium risk")
    LOW = "low", _("Low risk")
    # An arrival's origin that no risk area covered; never the level of a risk area.
    NONE = "none", _("Not a risk area")


class MeasureKind(models.TextChoices):
    CENTRAL_QUARANTINE = "central_quarantine", _("Central quarantine")
    HOME_QUARANTINE = "home_quarantine", _("Home quarantine")
    HEALTH_MONITORING = "health_monitoring", _("Health monitoring")


class CountedFrom(models.TextChoices):
    DEPARTURE = "departure", _("Departure")
    ARRIVAL = "arrival", _("Arrival")


class TaskKind(models.TextChoices):
    TRANSFER = "transfer", _("Transfer to quarantine")
    HOME_VISIT = "home_visit", _("Home visit")
    DOOR_SEAL = "door_seal", _("Door seal")
    DAILY_CHECK = "daily_check", _("Daily health check")
    TEST = "test", _("Nucleic acid test")


class CertificationMeasure(models.TextChoices):
    CLOSED_MANAGEMENT = "closed_management", _("Closed management")
    SCREENING = "screening", _("Screening")
    DISINFECTION = "disinfection", _("Disinfection")
    SUPPLIES = "supplies", _("Supplies")
    ORDER = "order", _("Order")
    COMMUNICATION = "communication", _("Communication")


# Mildest first, so that a level's index compares levels: LEVEL_ORDER.index("high") is the
# largest.
LEVEL_ORDER = (
    RiskLevel.NONE.value,
    RiskLevel.LOW.value,
    RiskLevel.MEDIUM.value,
    RiskLevel.HIGH.value,
)
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVEL_ORDER)}

# Mildest first: a lower risk level must never call for a measure further along than a
# higher level does.
MEASURE_ORDER = (
    MeasureKind.HEALTH_MONITORING.value,
    MeasureKind.HOME_QUARANTINE.value,
    MeasureKind.CENTRAL_QUARANTINE.value,
)
MEASURE_RANK = {kind: rank + 1 for rank, kind in enumerate(MEASURE_ORDER)}
