from django.urls import path

from gridgov.burden import request_views

app_name = "data_requests"
urlpatterns = [
    path("new/", request_views.request_new, name="new"),
    path("<int:pk>/", request_views.table, name="table"),
    path("<int:pk>.xlsx", request_views.table_xlsx, name="xlsx"),
    path("answer/<int:pk>/", request_views.answer, name="answer"),
]
