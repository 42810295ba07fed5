"""Reporting one's own arrival, under /arrive/, without an account."""

from django.urls import path

from gridgov.emergency import arrival_views as views

urlpatterns = [
    path("", views.arrive, name="arrive"),
    path("divisions/", views.division_suggestions, name="division_suggestions"),
    path("buildings/", views.community_buildings, name="community_buildings"),
]
