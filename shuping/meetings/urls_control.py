"""The organiser's pages of 述职评议会 under /meetings/ (namespace "meetings"): list, campaign tab, control
screen, its live panel, the staff state.json and the control actions."""

from django.urls import path

from shuping.meetings import views_control as v

urlpatterns = [
    path("", v.home, name="home"),
    path("campaign/<int:pk>/", v.campaign_meeting, name="campaign"),
    path("campaign/<int:pk>/create/", v.create, name="create"),
    path("<int:pk>/options/", v.options, name="options"),
    path("<int:pk>/control/", v.control, name="control"),
    path("<int:pk>/control/live/", v.control_live, name="control_live"),
    path("<int:pk>/state.json", v.state_json, name="state"),
    path("<int:pk>/act/<str:name>/", v.act, name="act"),
]
