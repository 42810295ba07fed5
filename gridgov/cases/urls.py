from django.urls import path

from gridgov.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("export.xlsx", views.worklist_export, name="export"),
    path("new/", views.intake, name="intake"),
    path("new/suggestion/", views.intake_suggestion, name="intake_suggestion"),
    path("new/persons/", views.intake_person_lookup, name="intake_person_lookup"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/photos/<int:pk>/", views.photo, name="photo"),
    path("<str:number>/reporter/", views.reveal_reporter, name="reveal_reporter"),
    path("<str:number>/actions/<str:action>/", views.act, name="act"),
]
