from django.urls import path

from gridgov.emergency import figure_views

urlpatterns = [
    path("", figure_views.figures_page, name="figures"),
    path("figures.xlsx", figure_views.figures_xlsx, name="figures_xlsx"),
    path("figures.csv", figure_views.figures_csv, name="figures_csv"),
    path("entry/", figure_views.entry, name="figure_entry"),
    path("import/", figure_views.import_page, name="figure_import"),
]
