from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.regions.models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "area_km2", "datum"]
    list_filter = ["level", "datum"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "area_m2", "centroid_lng", "centroid_lat", "boundary_updated_at"]
    list_select_related = ["parent"]
    # Counting a city's hundred thousand grids on every changelist page is wasted work.
    show_full_result_count = False

    @admin.display(description=_("area (km²)"), ordering="area_m2")
    def area_km2(self, region):
        return f"{region.area_m2 / 1e6:.3f}" if region.area_m2 else "—"

    def save_model(self, request, obj, form, change):
        # Region.clean has validated the geometry; derived fields must follow it.
        if not change or {"boundary", "datum"} & set(form.changed_data):
            obj.set_boundary(obj.boundary, obj.datum)
        super().save_model(request, obj, form, change)
