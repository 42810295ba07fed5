"""Included from gridgov/urls.py under /api/v1/, beside gridgov.api.urls (the API's
prefix and conventions)."""

from django.urls import path

from gridgov.notices import api

app_name = "notices-api"
urlpatterns = [
    path("notices", api.NoticeListView.as_view(), name="list"),
    path("notices/unread", api.NoticeUnreadView.as_view(), name="unread"),
    path("notices/read-all", api.NoticeReadAllView.as_view(), name="read-all"),
    path("notices/<int:pk>/read", api.NoticeReadView.as_view(), name="read"),
]
