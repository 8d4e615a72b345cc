from django.urls import path

from shuping.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("units/new/", views.unit_new, name="unit_new"),
    path("units/<int:pk>/", views.unit, name="unit"),
    path("units/<int:pk>/children/", views.children, name="children"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/active/", views.unit_active, name="unit_active"),
    path("units/<int:pk>/secretary/", views.set_secretary, name="set_secretary"),
    path("units/<int:pk>/people/new/", views.person_new, name="person_new"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/delete/", views.person_delete, name="person_delete"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path("roster/export.xlsx", views.roster_export, name="roster_export"),
    path("roster/template.xlsx", views.roster_template, name="roster_template"),
]
