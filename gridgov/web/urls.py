from django.contrib.auth import views as auth_views
from django.urls import path

from gridgov.accounts import views as account_views
from gridgov.web import dashboard, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/hot-grids.geojson", dashboard.hot_grids, name="dashboard_hot_grids"),
    path("dashboard/ranking.xlsx", dashboard.ranking_export, name="dashboard_ranking_export"),
    path("map/", views.grid_map, name="grid_map"),
    path("map/grids.geojson", views.grid_map_data, name="grid_map_data"),
    path("profile/", account_views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", account_views.revoke_token, name="revoke_token"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
