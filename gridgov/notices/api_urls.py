"""Included from gridgov/urls.py at /api/v1/notices (the API's prefix and conventions)."""

from django.urls import path

from gridgov.notices import api

app_name = "notices-api"
urlpatterns = [
    path("", api.NoticeListView.as_view(), name="list"),
    path("/unread", api.NoticeUnreadView.as_view(), name="unread"),
    path("/read-all", api.NoticeReadAllView.as_view(), name="read-all"),
    path("/<int:pk>/read", api.NoticeReadView.as_view(), name="read"),
]
