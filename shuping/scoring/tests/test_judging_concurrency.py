"""Judges saving at once on PostgreSQL: one sheet per judge and reporter, nothing lost, nothing after closing.

Real threads, each with its own database connection, released together by a barrier.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from shuping.accounts.models import Role
from shuping.audit.log import verify
from shuping.audit.models import AuditEvent
from shuping.conftest import make_user, race
from shuping.scoring import actions_judging as judging
from shuping.scoring.models import JudgeScore, WindowState

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL"),
]


def points_of(i: int) -> list[str]:
    """A different sheet for every judge, two decimals on the third indicator."""
    return [str(20 + i % 10), str(25 + i // 10), f"15.{25 * (i % 4):02d}", str(i % 5)]


def expected_total(points: list[str]) -> Decimal:
    return sum((Decimal(p) for p in points), Decimal(0))


@pytest.fixture
def many_judges(users, meeting, reporters) -> list:
    judges = [make_user(f"judge{i:02d}", Role.JUDGE) for i in range(25)]
    judging.set_panel(users.organiser, meeting, judges)
    judging.open_window(users.organiser, reporters.west)
    return judges


def test_twenty_five_judges_submit_for_one_reporter_at_once(reporters, many_judges):
    out = race(25, lambda i: judging.save_score(many_judges[i], reporters.west, points_of(i), submit=True))
    assert not [r for r in out if isinstance(r, Exception)], out
    rows = {s.judge.username: s for s in JudgeScore.objects.filter(participant=reporters.west).select_related("judge")}
    assert len(rows) == 25
    for i, judge in enumerate(many_judges):
        s = rows[judge.username]
        assert s.points == points_of(i) and s.total == expected_total(points_of(i)) and s.submitted_at is not None
    assert AuditEvent.objects.filter(action="scoring.score_submit").count() == 25
    assert verify().ok
    row = next(r for r in judging.progress(reporters.west.campaign) if r.participant == reporters.west)
    assert (row.submitted, len(row.expected), row.missing) == (25, 25, [])


def test_one_judge_saving_twice_at_once_keeps_one_sheet(reporters, many_judges):
    judge = many_judges[0]
    sheets = [["20", "30", "15", "5"], ["21", "31", "16", "6"]] * 5
    out = race(10, lambda i: judging.save_score(judge, reporters.west, sheets[i], submit=i % 2 == 1))
    assert not [r for r in out if isinstance(r, Exception)], out
    [s] = JudgeScore.objects.filter(participant=reporters.west, judge=judge)
    assert s.points in sheets and s.total == expected_total(s.points)  # whichever came last, whole
    assert s.submitted_at is not None  # five of the saves submitted
    assert AuditEvent.objects.filter(action__startswith="scoring.score_").count() == 10


def test_everyone_at_once_with_a_second_save_each_and_a_close_at_the_end(users, reporters, many_judges):
    """50 saves (two per judge) race; then the window closes and a late save is refused."""
    out = race(50, lambda i: judging.save_score(many_judges[i % 25], reporters.west, points_of(i % 25),
                                                submit=i >= 25))
    assert not [r for r in out if isinstance(r, Exception)], out
    assert JudgeScore.objects.filter(participant=reporters.west).count() == 25
    assert JudgeScore.objects.filter(participant=reporters.west, submitted_at__isnull=False).count() == 25
    judging.close_window(users.organiser, reporters.west)
    with pytest.raises(Exception, match="评分已结束"):
        judging.save_score(many_judges[0], reporters.west, ["0", "0", "0", "0"], submit=True)
    assert JudgeScore.objects.get(participant=reporters.west, judge=many_judges[0]).points == points_of(0)


def test_closing_while_judges_save_loses_no_acknowledged_sheet(users, reporters, many_judges):
    """Saves and the close race: every save that returned is stored; every refused one says 已结束."""

    def work(i: int) -> Any:
        if i == 25:
            return judging.close_window(users.organiser, reporters.west)
        return judging.save_score(many_judges[i], reporters.west, points_of(i), submit=True)

    out = race(26, work)
    assert out[25].state == WindowState.CLOSED
    saved = [r for r in out[:25] if not isinstance(r, Exception)]
    refused = [r for r in out[:25] if isinstance(r, Exception)]
    assert all("评分已结束" in str(e) for e in refused), refused
    stored = JudgeScore.objects.filter(participant=reporters.west)
    assert stored.count() == len(saved)
    assert {s.pk for s in saved} == set(stored.values_list("pk", flat=True))
