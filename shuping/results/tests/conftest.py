"""Fixtures for 考核结果 tests: a campaign in 统分中 with everything a result needs.

`scored` campaign (2025): east and west on site, edu in writing; a closed ballot box with 20 ballots
cast through the real casting path (group 0 区委领导 10, group 1 领导小组成员 10); five judges on the
panel (judge1..judge5; judge5 belongs to 西城街道, so is recused from west automatically) with submitted
sheets; 日常考核 scores for east and west (edu has none, so its composite re-normalises).

Expected numbers (default scheme):
- ballots: east 好×20 → 100; west 较好×20 → 80; edu 一般×10 + 差×10 → group scores 30, 30 → 30, veto
  (差 10/20 > 1/3).
- judges (totals): east 90, 92, 94, 96, 98 → drop 90 and 98 → 94; west 80, 82, 84, 86 (judge5 recused,
  4 judges, no trim) → 83; edu 70, 72, 74, 76, 78 → 74.
- routine: east 95, west 85.
- composite: east (94×30 + 100×40 + 95×20)/90 = 96.8888…; west (83×30 + 80×40 + 85×20)/90 = 82.1111…;
  edu (74×30 + 30×40)/70 = 48.857142…
- ranks 1 east (好: quota floor(3×30%) = 0 → 较好, quota_demoted), 2 west 较好, 3 edu 差 (veto).
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from shuping.accounts.models import Role
from shuping.ballots import casting
from shuping.ballots.actions import setup as ballot_setup
from shuping.ballots.models import BallotBox, BallotLine, BallotToken, BoxState, TokenChannel
from shuping.ballots.tests.conftest import make_tokens
from shuping.campaigns.models import Campaign, CampaignState, Participant, ParticipantMode
from shuping.conftest import make_user
from shuping.scoring.models import JudgeScore, JudgeSeat, RoutineScore

JUDGE_TOTALS = {"east": [90, 92, 94, 96, 98], "west": [80, 82, 84, 86], "edu": [70, 72, 74, 76, 78]}


def _sheet(total: int) -> list[str]:
    """Indicator points (30/40/20/10 maxima) adding up to `total`."""
    parts = [Decimal(total) * m / 100 for m in (30, 40, 20, 10)]
    return [str(p) for p in parts]


@pytest.fixture
def judges(district) -> list:
    out = [make_user(f"judge{i}", Role.JUDGE, display_name=f"评委{i}") for i in range(1, 5)]
    out.append(make_user("judge5", Role.JUDGE, unit=district.west, display_name="评委5"))
    return out


@pytest.fixture
def scored(users, district, judges) -> SimpleNamespace:
    c = Campaign.objects.create(year=2025, title="2025年度述职评议", committee=district.root,
                                state=CampaignState.TALLYING)
    east = Participant.objects.create(campaign=c, unit=district.east, secretary=district.east.secretary,
                                      speaking_order=1)
    west = Participant.objects.create(campaign=c, unit=district.west, secretary=district.west.secretary,
                                      speaking_order=2)
    edu = Participant.objects.create(campaign=c, unit=district.edu, secretary=district.edu.secretary,
                                     mode=ParticipantMode.WRITTEN)
    box = BallotBox.objects.create(campaign=c, state=BoxState.OPEN)
    for pos, p in enumerate((east, west, edu)):
        BallotLine.objects.create(box=box, participant=p, position=pos)
    make_tokens(box, 0, 10)
    make_tokens(box, 1, 10)
    for i, tok in enumerate(BallotToken.objects.filter(box=box).select_related("box__campaign").order_by("serial")):
        casting.cast(tok, TokenChannel.PHONE, "12" + ("3" if i % 2 else "4"), n_lines=3)
    ballot_setup.close_box(users.organiser, box)  # 封箱: the urn is sealed into countable ballots
    now = timezone.now()
    for j in judges:
        JudgeSeat.objects.create(campaign=c, user=j)
    for p, key in ((east, "east"), (west, "west"), (edu, "edu")):
        scorers = [j for j in judges if j.unit_id != p.unit_id]
        for j, total in zip(scorers, JUDGE_TOTALS[key], strict=True):
            JudgeScore.objects.create(participant=p, judge=j, points=_sheet(total), total=Decimal(total),
                                      submitted_at=now)
    for p, score in ((east, "95"), (west, "85")):
        RoutineScore.objects.create(participant=p, score=Decimal(score), source="日常考核.xlsx 日常考核 第 2 行",
                                    imported_by=users.organiser)
    second = make_user("organiser2", Role.ORGANISER, display_name="组织部小李")
    return SimpleNamespace(campaign=c, east=east, west=west, edu=edu, box=box, organiser2=second)
