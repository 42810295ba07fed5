"""Daily rollups: additive counters per day, place, category and status.

A case contributes to up to three days of a row key: the day it was received (the cohort
counters), the day it is due (`due`, `closed_on_time`) and the day it was closed
(`closed_on_day`, for the trend). Every counter is a sum, so a period and a subtree are a
SUM over rows. The key carries the case's status so that settings read at query time (the
suspended statuses, open vs closed) filter rows instead of being baked in. Keys may repeat
(two transactions can insert the same key at once): sums do not care, and a rebuild merges
them. See gridgov/metrics/ROLLUPS.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


def day_path_index(name: str) -> models.Index:
    """Every figure query reads a day range under a region prefix. Day first because a
    period is the narrow condition for a city-wide view; the path then filters inside the
    index. The hook's UPDATE finds its row by the same columns."""
    return models.Index(
        fields=["day", "region_path"], name=name, opclasses=["date_ops", "varchar_pattern_ops"]
    )


def path_day_index(name: str) -> models.Index:
    """Since the city and its districts read the district grain, the finer tables answer
    for small subtrees (a street, a community, a grid): there the path prefix is the
    narrow condition, and with the day first a street's month read every row of the month
    in the city (95 ms against 5 ms for its top categories on 10M cases)."""
    return models.Index(
        fields=["region_path", "day"], name=name, opclasses=["varchar_pattern_ops", "date_ops"]
    )


class Counters(models.Model):
    """The counters both rollups hold; see figures.py for what each one means.

    Signed: rows written before a first rebuild can briefly hold a case's removal without
    its addition; that must not make a transition fail, and a rebuild puts it right.
    """

    day = models.DateField(_("day"))
    region_path = models.CharField(max_length=64)
    status = models.CharField(max_length=12)
    # Received-day cohort.
    received = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    responded_on_time = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basically_satisfied = models.IntegerField(default=0)
    replied = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    handling_us = models.BigIntegerField(default=0)
    # Due-day cohort.
    due = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    # Closed-day bucket.
    closed_on_day = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DailyRollup(Counters):
    """Counters per day × region (the case's own region) × category × status."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        indexes = [day_path_index("rollup_day_path"), path_day_index("rollup_path_day")]

    def __str__(self):
        return f"{self.day} {self.region_path} {self.category_id or '-'} {self.status}"


class AreaDailyRollup(Counters):
    """Counters per day × area × status: DailyRollup summed over the categories and up to
    the community level (`region_path` is the community's path, or the case's own region's
    when that sits higher). Figures of a community or anything above it, and the ranking of
    their children down to communities, read these far fewer rows."""

    class Meta:
        verbose_name = _("daily area rollup")
        verbose_name_plural = _("daily area rollups")
        indexes = [
            day_path_index("area_rollup_day_path"),
            path_day_index("area_rollup_path_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.region_path} {self.status}"


class DistrictDailyRollup(Counters):
    """Counters per day × district × status: AreaDailyRollup summed up to districts
    (`region_path` is the district's path, or the case's own region's when higher). The
    figures and trend of a city or a district, and a city's ranking of its districts, read
    a few hundred rows a month here however many cases and communities there are."""

    class Meta:
        verbose_name = _("daily district rollup")
        verbose_name_plural = _("daily district rollups")
        indexes = [day_path_index("district_rollup_day_path")]

    def __str__(self):
        return f"{self.day} {self.region_path} {self.status}"


class CategoryDailyRollup(models.Model):
    """Cases received per day × district × category (`region_path` as in
    DistrictDailyRollup): the top categories of a city or a district."""

    day = models.DateField(_("day"))
    region_path = models.CharField(max_length=64)
    category = models.ForeignKey(
        "cases.Category", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    received = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily category rollup")
        verbose_name_plural = _("daily category rollups")
        indexes = [day_path_index("category_rollup_day_path")]

    def __str__(self):
        return f"{self.day} {self.region_path} {self.category_id}"


class UnitDailyRollup(Counters):
    """Counters per day × unit × district × status × the roles the unit holds on the case.

    `region_path` is the district's path (or the case's own region's, when higher): unit
    rankings of a district or the city read these; deeper subtrees read their cases.

    `roles` is a bitmask of the unit's active assignment roles on the case (ROLE_BITS), so
    GRIDGOV_METRICS["unit_roles"] is applied when reading; 0: no active assignment (the row
    still counts `assigned` and `returned`).
    """

    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    office = models.ForeignKey(
        "regions.Region",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    roles = models.PositiveSmallIntegerField(default=0)
    assigned = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily unit rollup")
        verbose_name_plural = _("daily unit rollups")
        indexes = [day_path_index("unit_rollup_day_path")]

    def __str__(self):
        unit = self.department_id or f"office {self.office_id}"
        return f"{self.day} {unit} {self.region_path} {self.status}"
