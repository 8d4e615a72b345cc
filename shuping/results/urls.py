"""Pages of 考核结果 under /results/ (namespace "results")."""

from django.urls import path

from shuping.results import views

app_name = "results"
urlpatterns = [
    path("", views.home, name="home"),
    path("campaign/<int:pk>/", views.campaign_results, name="campaign"),
    path("campaign/<int:pk>/explain/<str:key>/<str:what>/", views.explanation, name="explain"),
    path("campaign/<int:pk>/average/<str:name>/", views.average, name="average"),
    path("campaign/<int:pk>/compute/", views.compute, name="compute"),
    path("campaign/<int:pk>/submit/", views.submit, name="submit"),
    path("campaign/<int:pk>/review/", views.review, name="review"),
    path("campaign/<int:pk>/decide/<int:participant_id>/", views.decide, name="decide"),
    path("campaign/<int:pk>/sign/", views.sign, name="sign"),
    path("campaign/<int:pk>/publish/", views.publish, name="publish"),
    path("campaign/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("campaign/<int:pk>/verify/", views.verify, name="verify"),
    path("campaign/<int:pk>/follow-ups/", views.follow_ups, name="follow_ups"),
    path("campaign/<int:pk>/follow-ups/<int:follow_up_id>/", views.follow_up_edit, name="follow_up_edit"),
    path("campaign/<int:pk>/mine/", views.mine, name="mine"),
]
