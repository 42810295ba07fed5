"""Included from gridgov/urls.py under /api/v1/, beside gridgov.api.urls (the API's
prefix and conventions): the secondments."""

from django.urls import path

from gridgov.burden import api_secondments as views

app_name = "burden-secondments-api"
urlpatterns = [
    path("burden/secondments", views.SecondmentListView.as_view(), name="list"),
    path("burden/secondments/counts", views.SecondmentCountsView.as_view(), name="counts"),
    path("burden/secondments/<api_id:pk>", views.SecondmentDetailView.as_view(), name="detail"),
    path(
        "burden/secondments/<api_id:pk>/return", views.SecondmentReturnView.as_view(), name="return"
    ),
]
