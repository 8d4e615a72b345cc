"""The chair's commentary pad and the meeting's documents (views_chair)."""

from django.urls import path

from shuping.meetings import views_chair as v

urlpatterns = [
    path("<int:meeting_id>/chair/", v.home, name="chair_home"),
    path("<int:meeting_id>/chair/current.json", v.current, name="chair_current"),
    path("<int:meeting_id>/chair/<int:participant_id>/", v.pad, name="chair_pad"),
    path("<int:meeting_id>/chair/<int:participant_id>/save/", v.save, name="chair_save"),
    path("<int:meeting_id>/chair/<int:participant_id>/problems/", v.problems, name="chair_problems"),
    path("<int:meeting_id>/chair/<int:participant_id>/problems/add/", v.problem_add, name="chair_problem_add"),
    path("<int:meeting_id>/chair/<int:participant_id>/problems/<int:problem_id>/edit/", v.problem_edit,
         name="chair_problem_edit"),
    path("<int:meeting_id>/chair/<int:participant_id>/problems/<int:problem_id>/delete/", v.problem_delete,
         name="chair_problem_delete"),
    path("<int:meeting_id>/docs/running-order.docx", v.running_order, name="running_order_docx"),
    path("<int:meeting_id>/docs/minutes.docx", v.minutes, name="minutes_docx"),
]
