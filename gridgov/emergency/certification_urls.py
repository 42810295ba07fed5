from django.urls import path

from gridgov.emergency import certification_views

urlpatterns = [
    path("", certification_views.certification_list, name="certification_list"),
    path("apply/<str:code>/", certification_views.certification_apply, name="certification_apply"),
    path("<int:pk>/", certification_views.certification_detail, name="certification_detail"),
    path("<int:pk>/decide/", certification_views.certification_decide, name="certification_decide"),
    path("<int:pk>/revoke/", certification_views.certification_revoke, name="certification_revoke"),
    path(
        "<int:pk>/photos/<int:attestation>/",
        certification_views.attestation_photo,
        name="attestation_photo",
    ),
]
