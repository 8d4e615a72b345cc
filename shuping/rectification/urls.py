"""Pages of 整改台账 (entries, progress, closure) and the overview/晒账 (urls_overview)."""

from django.urls import include, path

from shuping.rectification import urls_overview, views

app_name = "rectification"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/request-closure/", views.request_closure, name="request_closure"),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("evidence/<int:pk>/", views.download, name="evidence"),
    path("campaign/<int:pk>/comments/", views.comments, name="comments"),
    path("", include(urls_overview)),
]
