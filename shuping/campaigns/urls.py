from django.urls import path

from shuping.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/copy/", views.copy, name="copy"),
    path("<int:pk>/scheme/", views.scheme, name="scheme"),
    path("<int:pk>/scheme/edit/", views.scheme_edit, name="scheme_edit"),
    path("<int:pk>/participants/", views.participants, name="participants"),
    path("<int:pk>/participants/add/", views.participants_add, name="participants_add"),
    path("<int:pk>/participants/order/", views.participants_order, name="participants_order"),
    path("<int:pk>/participants/<int:pid>/edit/", views.participant_edit, name="participant_edit"),
    path("<int:pk>/participants/<int:pid>/remove/", views.participant_remove, name="participant_remove"),
    path("<int:pk>/participants/<int:pid>/move/", views.participant_move, name="participant_move"),
    path("<int:pk>/lots/", views.lots, name="lots"),
    path("<int:pk>/lots/draw/", views.lots_draw, name="lots_draw"),
]
