from django.urls import path

from gridgov.registry import audit_views, import_views, views

app_name = "registry"
urlpatterns = [
    # --- regpages: the pages where the registry is collected and kept ---
    path("", views.home, name="home"),
    path("buildings/<str:code>/", views.building, name="building"),
    path("rooms/<int:pk>/", views.room, name="room"),
    path("rooms/<int:pk>/use/", views.room_dwelling, name="room_dwelling"),
    path("rooms/<int:pk>/visit/", views.room_visit, name="room_visit"),
    path("rooms/<int:room_pk>/people/new/", views.person_new, name="person_new"),
    path("households/<int:pk>/move-out/", views.move_out, name="move_out"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/new/", views.organisation_edit, name="organisation_new"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/visit/", views.organisation_visit, name="organisation_visit"),
    # --- end regpages ---
    # --- regimport: importing a community's list of people ---
    path("import/", import_views.import_people_page, name="import"),
    # --- end regimport ---
    path("audit/", audit_views.audit, name="audit"),
]
