from django.urls import path

from gridgov.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.region_index, name="index"),
    path("locate/", views.locate_point, name="locate"),
    path("service-area.geojson", views.service_area, name="service_area"),
    path("search/", views.search_places, name="search"),
    path("<str:code>/", views.region_detail, name="detail"),
    path("<str:code>/children.geojson", views.children_geojson, name="children_geojson"),
    path("<str:code>/registry.xlsx", views.registry_export, name="registry_export"),
]
