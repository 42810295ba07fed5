"""Arrivals, their measures and tasks: the staff pages, under /emergency/arrivals/."""

from django.urls import path

from gridgov.emergency import arrival_views as views

urlpatterns = [
    path("", views.arrival_list, name="arrival_list"),
    path("export/", views.arrival_export, name="arrival_export"),
    path("new/", views.arrival_new, name="arrival_new"),
    path("import/", views.arrival_import, name="arrival_import"),
    path("import/template/", views.arrival_import_template, name="arrival_import_template"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("measures/<int:pk>/close/", views.measure_close, name="measure_close"),
    path("<int:pk>/", views.arrival_detail, name="arrival_detail"),
    path("<int:pk>/reveal/", views.arrival_reveal, name="arrival_reveal"),
]
