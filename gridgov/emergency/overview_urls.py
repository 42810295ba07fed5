from django.urls import path

from gridgov.emergency import overview_views

urlpatterns = [
    path("", overview_views.overview, name="overview"),
    path("policies/", overview_views.policy_list, name="policy_list"),
    path("policies/<int:number>/", overview_views.policy_detail, name="policy_detail"),
]
