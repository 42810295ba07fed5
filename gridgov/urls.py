from django.contrib import admin
from django.urls import include, path

from gridgov.cases import public

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("gridgov.notices.api_urls")),
    path("api/v1/", include("gridgov.api.urls")),
    # After gridgov.api.urls, which registers the path converters (api_id) these use.
    path("api/v1/", include("gridgov.burden.api_demand_urls")),
    path("api/v1/", include("gridgov.burden.api_urls")),
    path("api/v1/", include("gridgov.emergency.api_urls")),
    path("regions/", include("gridgov.regions.urls")),
    path("cases/", include("gridgov.cases.urls")),
    path("triage/", include("gridgov.triage.urls")),
    path("notices/", include("gridgov.notices.urls")),
    path("registry/", include("gridgov.registry.urls")),
    path("burden/secondments/", include("gridgov.burden.secondment_urls")),
    path("burden/requests/", include("gridgov.burden.request_urls")),
    path("burden/observatory/", include("gridgov.burden.observatory_urls")),
    path("burden/", include("gridgov.burden.urls")),
    path("emergency/", include("gridgov.emergency.urls")),
    path("", include("gridgov.emergency.public_urls")),
    path("open311/v2/", include("gridgov.open311.urls")),
    path("report/", public.report, name="public_report"),
    path("track/", public.track, name="public_track"),
    path("track/rate/", public.rate, name="public_rate"),
    path("", include("gridgov.web.urls")),
]
