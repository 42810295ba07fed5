"""Emergency mode's staff pages, under /emergency/; each part in its own module."""

from django.urls import include, path

app_name = "emergency"

urlpatterns = [
    path("", include("gridgov.emergency.overview_urls")),
    path("risk-areas/", include("gridgov.emergency.risk_area_urls")),
    path("arrivals/", include("gridgov.emergency.arrival_urls")),
    path("figures/", include("gridgov.emergency.figure_urls")),
    path("certifications/", include("gridgov.emergency.certification_urls")),
]
