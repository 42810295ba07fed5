from django.urls import path

from gridgov.burden import views

app_name = "burden"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("demands/new/", views.demand_new, name="demand_new"),
    path("demands/<int:pk>/", views.demand, name="demand"),
    path("demands/<int:pk>/decision/", views.demand_decision, name="demand_decision"),
    path("inbox/", views.inbox, name="inbox"),
    path("received/<int:pk>/", views.received, name="received"),
    path("received/<int:pk>/extension/", views.extension_decision, name="extension_decision"),
    path("received/<int:pk>/objection/", views.objection_decision, name="objection_decision"),
    path("office/", views.office, name="office"),
    path("matters/", views.matters, name="matters"),
    path("matters/<slug:code>/", views.matter, name="matter"),
]
