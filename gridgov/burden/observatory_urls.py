from django.urls import path

from gridgov.burden import observatory_views as views

app_name = "observatory"
urlpatterns = [
    path("", views.observatory_page, name="page"),
    path("export.xlsx", views.observatory_export, name="export"),
]
