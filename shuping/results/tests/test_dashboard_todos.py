"""The dashboard's 待办: each person sees the next step that is theirs, and only theirs."""

from __future__ import annotations

from django.utils import timezone

from shuping.results import actions
from shuping.scoring.models import JudgeScore, ScoringWindow, WindowState


def _todos(client_for, user) -> str:
    r = client_for(user).get("/")
    assert r.status_code == 200
    return "".join(t.text for t in r.context["todos"])


def test_the_reviewer_is_asked_to_review_and_the_submitter_to_wait(users, scored, client_for):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    assert "待提交审核" in _todos(client_for, users.organiser)
    actions.submit_results(users.organiser, sheet)
    assert "等待另一位工作人员审核" in _todos(client_for, users.organiser)
    assert "考核结果待您审核" in _todos(client_for, scored.organiser2)
    assert "待您审核" not in _todos(client_for, users.chair)
    actions.review_results(scored.organiser2, sheet, approve=True)
    assert "待领导小组签批" in _todos(client_for, users.chair)
    assert _todos(client_for, users.reporter) == ""


def test_a_judge_is_told_who_is_being_scored_and_the_reporter_where_the_result_is(users, scored, judges,
                                                                                   client_for):
    ScoringWindow.objects.create(participant=scored.west, state=WindowState.OPEN, opened_at=timezone.now())
    JudgeScore.objects.filter(participant=scored.west, judge=judges[0]).update(submitted_at=None)
    text = _todos(client_for, judges[0])
    assert "正在评分：西城街道党工委" in text
    assert "西城街道" not in _todos(client_for, judges[1])  # already submitted
    assert "西城街道" not in _todos(client_for, judges[4])  # own unit: recused
    ScoringWindow.objects.filter(participant=scored.west).update(state=WindowState.CLOSED)
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    actions.sign_results(users.chair, sheet, "区委常委会")
    actions.publish_results(users.organiser, sheet)
    assert "本人考核结果已公布" in _todos(client_for, users.reporter)
    assert "本人考核结果已公布" in _todos(client_for, users.other_reporter)  # west took part too
    assert _todos(client_for, users.nobody) == ""
