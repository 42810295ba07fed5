from django.urls import path

from gridgov.triage import views

app_name = "triage"
urlpatterns = [
    path("hotspots/", views.hotspots, name="hotspots"),
    path("hotspots/tasks/", views.create_task, name="create_task"),
]
