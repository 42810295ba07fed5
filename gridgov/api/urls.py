"""/api/v1/: included from gridgov/urls.py under the namespace "api"."""

from django.urls import path, register_converter
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from gridgov.api import batch_views, case_views, registry_views, views


class CaseNumberConverter:
    # Bounded, so that nothing a client puts in a path reaches a query unchecked.
    regex = "[0-9A-Za-z-]{1,20}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class RegionCodeConverter(CaseNumberConverter):
    regex = "[0-9A-Za-z]{1,32}"


class AttachmentIdConverter(CaseNumberConverter):
    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(CaseNumberConverter, "api_case_number")
register_converter(RegionCodeConverter, "api_region_code")
register_converter(AttachmentIdConverter, "api_id")

app_name = "api"

action_urls = [
    path(
        f"cases/<api_case_number:number>/actions/{action}",
        view.as_view(),
        name=f"case-action-{action}",
    )
    for action, view in case_views.ACTION_VIEWS.items()
]

R = registry_views
registry_urls = [
    path("registry/counts", R.RegistryCountsView.as_view(), name="registry-counts"),
    path("registry/rooms", R.RoomListView.as_view(), name="registry-room-list"),
    path("registry/rooms/<api_id:pk>", R.RoomDetailView.as_view(), name="registry-room-detail"),
    path("registry/rooms/<api_id:pk>/dwelling", R.DwellingView.as_view(), name="registry-dwelling"),
    path(
        "registry/rooms/<api_id:pk>/dwelling/history",
        R.DwellingHistoryView.as_view(),
        name="registry-dwelling-history",
    ),
    path(
        "registry/households/<api_id:pk>",
        R.HouseholdDetailView.as_view(),
        name="registry-household-detail",
    ),
    path(
        "registry/households/<api_id:pk>/members",
        R.HouseholdMembersView.as_view(),
        name="registry-household-members",
    ),
    path(
        "registry/households/<api_id:pk>/move-out",
        R.HouseholdMoveOutView.as_view(),
        name="registry-household-move-out",
    ),
    path(
        "registry/households/<api_id:pk>/history",
        R.HouseholdHistoryView.as_view(),
        name="registry-household-history",
    ),
    path("registry/persons", R.PersonListView.as_view(), name="registry-person-list"),
    path(
        "registry/persons/<api_id:pk>", R.PersonDetailView.as_view(), name="registry-person-detail"
    ),
    path(
        "registry/persons/<api_id:pk>/reveal",
        R.PersonRevealView.as_view(),
        name="registry-person-reveal",
    ),
    path(
        "registry/persons/<api_id:pk>/history",
        R.PersonHistoryView.as_view(),
        name="registry-person-history",
    ),
    path("registry/tags", R.TagListView.as_view(), name="registry-tag-list"),
    path(
        "registry/organisations",
        R.OrganisationListView.as_view(),
        name="registry-organisation-list",
    ),
    path(
        "registry/organisations/<api_id:pk>",
        R.OrganisationDetailView.as_view(),
        name="registry-organisation-detail",
    ),
    path(
        "registry/organisations/<api_id:pk>/history",
        R.OrganisationHistoryView.as_view(),
        name="registry-organisation-history",
    ),
    path("registry/patrol-logs", R.PatrolLogListView.as_view(), name="registry-patrol-log-list"),
]

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    # The docs page calls the API with the browser's session: it needs the CSRF cookie.
    # Its script is served as a file of its own: the Content-Security-Policy forbids inline.
    path(
        "docs/",
        ensure_csrf_cookie(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("me", views.MeView.as_view(), name="me"),
    path("regions", views.RegionListView.as_view(), name="region-list"),
    path("regions/<api_region_code:code>", views.RegionDetailView.as_view(), name="region-detail"),
    path(
        "regions/<api_region_code:code>/boundary.geojson",
        views.RegionBoundaryView.as_view(),
        name="region-boundary",
    ),
    path("locate", views.LocateView.as_view(), name="locate"),
    path("categories", views.CategoryListView.as_view(), name="category-list"),
    path("departments", views.DepartmentListView.as_view(), name="department-list"),
    path("metrics", views.MetricsView.as_view(), name="metrics"),
    path("cases", case_views.CaseListView.as_view(), name="case-list"),
    # Before the case path: "batch" would pass for a case number.
    path("cases/batch", batch_views.CaseBatchView.as_view(), name="case-batch"),
    path("cases/<api_case_number:number>", case_views.CaseDetailView.as_view(), name="case-detail"),
    path(
        "cases/<api_case_number:number>/photos/<api_id:pk>",
        case_views.CasePhotoView.as_view(),
        name="case-photo",
    ),
    *action_urls,
    *registry_urls,
]
