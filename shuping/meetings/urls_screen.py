"""The projector screen under /meetings/screen/<screen_key>/ (no login; namespace "meetings")."""

from django.urls import path

from shuping.meetings import views_screen as v

urlpatterns = [
    path("screen/<str:key>/", v.screen, name="screen"),
    path("screen/<str:key>/state.json", v.state_json, name="screen_state"),
    path("screen/<str:key>/vote-qr.svg", v.vote_qr, name="screen_vote_qr"),
]
