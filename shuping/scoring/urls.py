"""Pages of 现场评分 (judges, panel, windows) and 日常考核 import."""

from django.urls import include, path

from shuping.scoring import urls_judging, urls_routine

app_name = "scoring"
urlpatterns = [
    path("", include(urls_judging)),
    path("", include(urls_routine)),
]
