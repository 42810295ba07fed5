"""Included from gridgov/urls.py under /api/v1/, beside gridgov.api.urls (the API's
prefix and conventions)."""

from django.urls import path

from gridgov.burden import api_data_requests as tables
from gridgov.burden import api_demands as views
from gridgov.burden import api_observatory

app_name = "burden-api"
urlpatterns = [
    path("burden/demands", views.DemandListView.as_view(), name="demands"),
    path("burden/demands/<api_id:pk>", views.DemandDetailView.as_view(), name="demand"),
    path(
        "burden/demands/<api_id:pk>/decision", views.DemandDecisionView.as_view(), name="decision"
    ),
    path("burden/inbox", views.InboxView.as_view(), name="inbox"),
    path("burden/received/<api_id:pk>", views.ReceivedDetailView.as_view(), name="received"),
    path("burden/received/<api_id:pk>/respond", views.RespondView.as_view(), name="respond"),
    path(
        "burden/received/<api_id:pk>/extension",
        views.ExtensionDecisionView.as_view(),
        name="extension",
    ),
    path(
        "burden/received/<api_id:pk>/objection",
        views.ObjectionDecisionView.as_view(),
        name="objection",
    ),
    path("burden/matters", views.MatterListView.as_view(), name="matters"),
    path("burden/observatory", api_observatory.ObservatoryView.as_view(), name="observatory"),
    path("burden/catalogue", tables.CatalogueView.as_view(), name="catalogue"),
    path("burden/data-requests", tables.DataRequestCreateView.as_view(), name="data-requests"),
    path("burden/data-requests/<api_id:pk>", tables.DataRequestTableView.as_view(), name="table"),
    path(
        "burden/received/<api_id:pk>/table", tables.AnswerTableView.as_view(), name="answer-table"
    ),
]
