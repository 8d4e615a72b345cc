"""日常考核 pages under /scoring/ (namespace "scoring")."""

from django.urls import path

from shuping.scoring import views_routine

urlpatterns = [
    path("campaign/<int:pk>/routine/", views_routine.page, name="routine"),
    path("campaign/<int:pk>/routine/import/", views_routine.upload, name="routine_import"),
    path("campaign/<int:pk>/routine/template.xlsx", views_routine.template, name="routine_template"),
]
