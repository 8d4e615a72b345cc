"""Exports of 述职报告 (included by reports/urls.py, namespace "reports")."""

from django.urls import path

from shuping.reports import views_exports

urlpatterns = [
    path("<int:report_id>/export.docx", views_exports.report_docx, name="export_docx"),
    path("campaign/<int:campaign_id>/bound.pdf", views_exports.bound_pdf, name="bound_pdf"),
    path("campaign/<int:campaign_id>/exports/", views_exports.page, name="exports"),
]
