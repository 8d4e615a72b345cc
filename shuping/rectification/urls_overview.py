"""整改台账 overview, 晒账 and the .xlsx template/export/import (included by urls.py)."""

from django.urls import path

from shuping.rectification import views_overview as v

urlpatterns = [
    path("overview/", v.overview_page, name="overview"),
    path("public/<int:unit_id>/", v.public, name="public"),
    path("export/", v.export, name="export"),
    path("import/", v.import_page, name="import"),
    path("import/template/", v.template, name="template"),
]
