"""Pages of 述职报告 (writing, review: R1's views) and their exports (urls_exports)."""

from django.urls import include, path

from shuping.reports import urls_exports

app_name = "reports"
urlpatterns = [
    path("", include(urls_exports)),
]
