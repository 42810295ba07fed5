"""Emergency mode's public pages: the current risk areas, and reporting one's own arrival."""

from django.urls import include, path

app_name = "emergency_public"

urlpatterns = [
    path("risk-areas/", include("gridgov.emergency.risk_area_public_urls")),
    path("arrive/", include("gridgov.emergency.arrival_public_urls")),
]
