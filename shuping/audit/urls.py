from django.urls import path

from shuping.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("verify/", views.verify, name="verify"),
    path("export.csv", views.export_csv, name="export"),
]
