"""统计分析 pages: a campaign's charts and the multi-year charts."""

from django.urls import path

from shuping.exports import views_analytics

urlpatterns = [
    path("analytics/", views_analytics.multi_year, name="analytics"),
    path("analytics/campaign/<int:pk>/", views_analytics.campaign, name="analytics_campaign"),
]
