from django.urls import path

from shuping.exports import views_jobs

urlpatterns: list = [
    path("", views_jobs.home, name="home"),
    path("campaign/<int:pk>/", views_jobs.campaign_page, name="campaign"),
    path("request/", views_jobs.request_export, name="request"),
    path("jobs/<int:job_id>/status.json", views_jobs.status, name="status"),
    path("jobs/<int:job_id>/retry/", views_jobs.retry, name="retry"),
    path("jobs/<int:job_id>/download/", views_jobs.download, name="download"),
]
