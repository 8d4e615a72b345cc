"""Pages of 整改台账 (entries, progress, closure) and the overview/晒账 (urls_overview)."""

from django.urls import include, path

from shuping.rectification import urls_overview

app_name = "rectification"
urlpatterns = [
    path("", include(urls_overview)),
]
