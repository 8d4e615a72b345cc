"""Results pages of 民主测评 under /ballots/ (namespace "ballots"): reconciliation, tally, observer's export."""

from django.urls import path

from shuping.ballots import views_results

urlpatterns = [
    path("results/", views_results.home, name="results_home"),
    path("<int:box_id>/results/", views_results.results, name="results"),
    path("<int:box_id>/results/export.xlsx", views_results.export_xlsx, name="results_export_xlsx"),
    path("<int:box_id>/results/export-<str:part>.csv", views_results.export_csv, name="results_export_csv"),
]
