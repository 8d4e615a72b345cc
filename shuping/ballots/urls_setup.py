"""The organiser's ballot-box pages under /ballots/ (namespace "ballots")."""

from django.urls import path

from shuping.ballots import views_setup

urlpatterns = [
    path("campaign/<int:pk>/", views_setup.for_campaign, name="setup_campaign"),
    path("campaign/<int:pk>/create/", views_setup.create, name="setup_create"),
    path("<int:box_id>/setup/", views_setup.page, name="setup"),
    path("<int:box_id>/setup/turnout/", views_setup.turnout, name="setup_turnout"),
    path("<int:box_id>/setup/lines/", views_setup.lines, name="setup_lines"),
    path("<int:box_id>/setup/settings/", views_setup.box_settings, name="setup_settings"),
    path("<int:box_id>/setup/issue/", views_setup.issue, name="setup_issue"),
    path("<int:box_id>/setup/tokens/", views_setup.tokens, name="setup_tokens"),
    path("<int:box_id>/setup/tokens/revoke/", views_setup.revoke, name="setup_revoke"),
    path("<int:box_id>/setup/print/", views_setup.print_pdf, name="setup_print"),
    path("<int:box_id>/setup/<str:to>/", views_setup.move, name="setup_move"),
]
