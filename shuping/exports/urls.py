"""Pages of 导出与统计分析: export jobs and downloads (urls_jobs), charts (urls_analytics)."""

from django.urls import include, path

from shuping.exports import urls_analytics, urls_jobs

app_name = "exports"
urlpatterns = [
    path("", include(urls_jobs)),
    path("", include(urls_analytics)),
]
