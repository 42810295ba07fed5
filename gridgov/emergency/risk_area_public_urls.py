from django.urls import path

from gridgov.emergency import risk_area_views

urlpatterns = [
    path("", risk_area_views.public_list, name="risk_areas"),
]
