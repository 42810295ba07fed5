from django.urls import path

from gridgov.emergency import risk_area_views

urlpatterns = [
    path("", risk_area_views.risk_area_list, name="risk_area_list"),
    path("new/", risk_area_views.risk_area_new, name="risk_area_new"),
    path("<int:pk>/", risk_area_views.risk_area_detail, name="risk_area_detail"),
    path("<int:pk>/change/", risk_area_views.risk_area_change, name="risk_area_change"),
]
