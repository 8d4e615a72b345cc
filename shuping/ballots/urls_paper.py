"""Tellers' paper-ballot pages under /ballots/ (namespace "ballots")."""

from django.urls import path

from shuping.ballots import views_paper

urlpatterns = [
    path("paper/", views_paper.home, name="paper_home"),
    path("<int:box_id>/paper/", views_paper.bench, name="paper_bench"),
    path("<int:box_id>/paper/find/", views_paper.find, name="paper_find"),
    path("<int:box_id>/paper/key/", views_paper.key, name="paper_key"),
    path("<int:box_id>/paper/invalid/", views_paper.invalid, name="paper_invalid"),
    path("<int:box_id>/paper/mismatches/", views_paper.mismatches, name="paper_mismatches"),
    path("<int:box_id>/paper/mismatches/<int:serial>/", views_paper.resolve, name="paper_resolve"),
    path("<int:box_id>/paper/progress/", views_paper.progress, name="paper_progress"),
    path("<int:box_id>/paper/seal/", views_paper.seal, name="paper_seal"),
]
