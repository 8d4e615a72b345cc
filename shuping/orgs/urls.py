from django.urls import path

from shuping.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("units/<int:pk>/", views.unit, name="unit"),
]
