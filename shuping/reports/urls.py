"""Pages of 述职报告 (writing, review: R1's views) and their exports (urls_exports)."""

from django.urls import include, path

from shuping.reports import urls_exports, views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("campaign/<int:pk>/", views.campaign_progress, name="campaign"),
    path("campaign/<int:pk>/remind/", views.remind, name="remind"),
    path("campaign/<int:pk>/mine/", views.mine, name="mine"),
    path("<int:pk>/", views.report_page, name="report"),
    path("<int:pk>/save/", views.save, name="save"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/return/", views.return_report, name="return"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/import/", views.import_word, name="import"),
    path("<int:pk>/versions/", views.versions, name="versions"),
    path("<int:pk>/versions/<int:number>/", views.version, name="version"),
    path("<int:pk>/versions/<int:number>/restore/", views.restore, name="restore"),
    path("", include(urls_exports)),
]
