from django.urls import path

from gridgov.burden import secondment_views as views

app_name = "secondments"
urlpatterns = [
    path("", views.secondment_list, name="list"),
    path("counts/", views.secondment_counts, name="counts"),
    path("new/", views.secondment_new, name="new"),
    path("<int:pk>/", views.secondment_detail, name="detail"),
    path("<int:pk>/return/", views.secondment_return, name="return"),
    path("<int:pk>/edit/", views.secondment_edit, name="edit"),
]
