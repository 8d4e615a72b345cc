"""Voter pages under /v/ (namespace "vote"): no login; the token secret in the URL is the credential.

The QR code printed on a sheet is the absolute URL of `vote:ballot`.
"""

from django.urls import path

from shuping.ballots import views_vote

app_name = "vote"
urlpatterns = [
    path("", views_vote.enter, name="enter"),
    path("<str:secret>/", views_vote.ballot, name="ballot"),
    path("<str:secret>/submit/", views_vote.submit, name="submit"),
]
