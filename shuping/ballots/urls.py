"""Staff pages of 民主测评 (organiser setup, tellers' paper entry, results). Voters use urls_vote (/v/)."""

from django.urls import include, path

from shuping.ballots import urls_paper, urls_results, urls_setup

app_name = "ballots"
urlpatterns = [
    path("", include(urls_setup)),
    path("", include(urls_paper)),
    path("", include(urls_results)),
]
