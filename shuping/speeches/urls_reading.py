"""Reading texts into problems and confirming them into the 整改台账 (views_reading)."""

from django.urls import path

from shuping.speeches import views_reading as v

urlpatterns = [
    path("", v.texts, name="texts"),
    path("new/", v.new, name="text_new"),
    path("from-commentary/", v.from_commentary, name="from_commentary"),
    path("from-report/", v.from_report, name="from_report"),
    path("<int:pk>/", v.review, name="review"),
    path("<int:pk>/correct/", v.correct, name="correct"),
    path("<int:pk>/confirm/", v.confirm, name="confirm"),
]
