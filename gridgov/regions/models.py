from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scoping import ScopedQuerySet
from gridgov.regions import codes
from gridgov.regions.choices import Datum, Level, level_depth


class RegionQuerySet(ScopedQuerySet):
    region_path_lookup = "path"

    def subtree(self, region: "Region"):
        """The region and everything under it: one indexed prefix filter."""
        return self.filter(path__startswith=region.path)

    def with_boundary(self):
        return self.filter(boundary__isnull=False)


class Region(models.Model):
    """One node of the administrative tree: city → district → street → community →
    grid → building. `path` is derived from `code` and never set by hand."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # unique=True gives PostgreSQL a varchar_pattern_ops twin index, which is what
    # every "everything under this region" prefix filter (path LIKE 'x/%') uses.
    path = models.CharField(_("path"), max_length=64, unique=True, editable=False)
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)
    datum = models.CharField(_("datum"), max_length=8, choices=Datum.choices, default=Datum.GCJ02)
    area_m2 = models.FloatField(_("area (m²)"), null=True, blank=True, editable=False)
    centroid_lng = models.FloatField(null=True, blank=True, editable=False)
    centroid_lat = models.FloatField(null=True, blank=True, editable=False)
    # Processes compare the latest of these to decide whether their locate index is stale.
    boundary_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [
            # Lists of one level inside a subtree (all grids of a street) filter on both.
            models.Index(fields=["level", "path"], name="region_level_path"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        self.path = self.path_from_code()
        super().save(*args, **kwargs)

    @property
    def depth(self) -> int:
        return level_depth(self.level)

    def clean(self):
        try:
            codes.validate_code(self.code, self.level)
        except codes.RegionCodeError as exc:
            raise ValidationError({"code": str(exc)}) from None
        if self.parent is None and self.level != Level.CITY:
            raise ValidationError({"parent": _("Only a city may have no parent.")})
        if self.parent is not None:
            if self.parent.depth >= self.depth:
                raise ValidationError({"level": _("A region must sit below its parent's level.")})
            if not self.path_from_code().startswith(self.parent.path):
                raise ValidationError(
                    {"code": _("The code must start with the parent's code digits.")}
                )
        if self.boundary is not None:
            from gridgov.lib.geo import GeometryError, geometry_from_geojson

            try:
                geometry_from_geojson(self.boundary)
            except GeometryError as exc:
                raise ValidationError({"boundary": str(exc)}) from None

    def set_boundary(self, geojson: dict | None, datum: str | None = None) -> None:
        """Set the boundary and everything derived from it. Raises GeometryError if invalid.

        Use this (not a bare assignment) so area, centroid and the locate index stay right.
        """
        from gridgov.lib.geo import geodesic_area_m2, geometry_from_geojson, to_geojson

        if datum:
            self.datum = datum
        self.boundary_updated_at = timezone.now()
        if geojson is None:
            self.boundary = None
            self.area_m2 = self.centroid_lng = self.centroid_lat = None
            return
        geometry = geometry_from_geojson(geojson)
        self.boundary = to_geojson(geometry)
        self.area_m2 = geodesic_area_m2(geometry)
        point = (
            geometry.representative_point()
            if not geometry.centroid.within(geometry)
            else geometry.centroid
        )
        self.centroid_lng, self.centroid_lat = point.x, point.y

    def path_from_code(self) -> str:
        return codes.path_for(self.code, self.level)

    def ancestors(self):
        """Root first, excluding self: derived from the path, one query."""
        return Region.objects.filter(path__in=codes.path_and_above(self.path)[:-1]).order_by("path")

    def responsible_community(self) -> "Region | None":
        """The community answerable for this region (属地兜底): itself or its ancestor."""
        if self.level == Level.COMMUNITY:
            return self
        if self.depth < level_depth(Level.COMMUNITY):
            return None
        return self.ancestors().filter(level=Level.COMMUNITY).last()
