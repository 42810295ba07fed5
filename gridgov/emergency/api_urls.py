"""Emergency mode under /api/v1/emergency/ (api_views.py). Included from gridgov/urls.py
after gridgov.api.urls, which registers the path converters used here."""

from django.urls import path

from gridgov.emergency import api_views as views

app_name = "emergency-api"

urlpatterns = [
    path("emergency/risk-areas", views.RiskAreaListView.as_view(), name="risk-area-list"),
    path(
        "emergency/risk-areas/<api_id:pk>",
        views.RiskAreaDetailView.as_view(),
        name="risk-area-detail",
    ),
    path(
        "emergency/risk-areas/<api_id:pk>/level",
        views.RiskAreaLevelView.as_view(),
        name="risk-area-level",
    ),
    path("emergency/areas", views.EmergencyAreaListView.as_view(), name="area-list"),
    path(
        "emergency/areas/<api_id:pk>/close",
        views.EmergencyAreaCloseView.as_view(),
        name="area-close",
    ),
    path("emergency/policies", views.PolicyVersionListView.as_view(), name="policy-list"),
    path(
        "emergency/policies/<api_id:number>",
        views.PolicyVersionDetailView.as_view(),
        name="policy-detail",
    ),
    path("emergency/arrivals", views.ArrivalListView.as_view(), name="arrival-list"),
    path(
        "emergency/arrivals/<api_id:pk>", views.ArrivalDetailView.as_view(), name="arrival-detail"
    ),
    path(
        "emergency/arrivals/<api_id:pk>/reveal",
        views.ArrivalRevealView.as_view(),
        name="arrival-reveal",
    ),
    path("emergency/tasks", views.TaskListView.as_view(), name="task-list"),
    path("emergency/tasks/<api_id:pk>/done", views.TaskDoneView.as_view(), name="task-done"),
    path("emergency/figures", views.DailyFiguresView.as_view(), name="figures"),
    path("emergency/figures/children", views.ChildFiguresView.as_view(), name="figures-children"),
    path(
        "emergency/certifications",
        views.CertificationListView.as_view(),
        name="certification-list",
    ),
    path(
        "emergency/certifications/<api_id:pk>",
        views.CertificationDetailView.as_view(),
        name="certification-detail",
    ),
    path(
        "emergency/certifications/<api_id:pk>/decision",
        views.CertificationDecisionView.as_view(),
        name="certification-decision",
    ),
    path(
        "emergency/certifications/<api_id:pk>/revoke",
        views.CertificationRevokeView.as_view(),
        name="certification-revoke",
    ),
]
