"""`shuping results verify`: what an observer runs on the server to trust the published numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shuping.results import actions
from shuping.scoring.models import JudgeScore


def test_it_confirms_a_fresh_result(users, scored, capsys):
    actions.compute_results(users.organiser, scored.campaign)
    call_command("results", "verify")
    out = capsys.readouterr().out
    assert "一致" in out and "OK 1 份考核结果" in out


def test_it_reports_a_judge_score_changed_behind_the_apps_back(users, scored, capsys):
    actions.compute_results(users.organiser, scored.campaign)
    sheet = JudgeScore.objects.filter(participant=scored.west).first()
    JudgeScore.objects.filter(pk=sheet.pk).update(total=sheet.total + Decimal("5"))
    with pytest.raises(CommandError) as e:
        call_command("results", "verify", "--campaign", str(scored.campaign.pk))
    assert e.value.returncode == 1
    assert "西城街道党工委" in capsys.readouterr().err


def test_it_reports_a_tampered_grade(users, scored, capsys):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    sheet.rows.filter(participant=scored.edu).update(grade="好")
    with pytest.raises(CommandError):
        call_command("results", "verify")
    assert "名次、等次或得分" in capsys.readouterr().err


def test_it_says_when_there_is_nothing_to_check(db):
    with pytest.raises(CommandError, match="没有可核对的考核结果"):
        call_command("results", "verify")

