from django.urls import path

from shuping.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
]
