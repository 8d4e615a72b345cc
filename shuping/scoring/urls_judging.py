"""Pages of 现场评分 under /scoring/ (namespace "scoring"): judges' pages and the organiser's control page."""

from django.urls import path

from shuping.scoring import views_judging as v

urlpatterns = [
    path("", v.home, name="judging_home"),
    path("judge/<int:pk>/", v.judge_campaign, name="judge_campaign"),
    path("judge/<int:pk>/list/", v.judge_list, name="judge_list"),
    path("judge/<int:pk>/reminders/seen/", v.reminders_seen, name="reminders_seen"),
    path("judge/<int:pk>/reporter/<int:pid>/", v.score_form, name="score"),
    path("campaign/<int:pk>/", v.control, name="control"),
    path("campaign/<int:pk>/progress/", v.control_progress, name="control_progress"),
    path("campaign/<int:pk>/window/<int:pid>/<str:to>/", v.window, name="window"),
    path("campaign/<int:pk>/remind/", v.remind, name="remind"),
    path("campaign/<int:pk>/panel/<str:op>/", v.panel, name="panel"),
]
