"""Scoring fixtures, built through the real actions.

`meeting` is a campaign in 会议中 with east (on site, 1st), west (on site, 2nd) and 教育局 (written);
`panel` seats three judges on it: `users.judge` (no unit), `judge_east` (unit 东城街道, so recused from east
automatically) and `judge_b`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.accounts.models import Role, User
from shuping.campaigns import actions
from shuping.campaigns.models import Campaign, Participant, ParticipantMode
from shuping.conftest import make_user
from shuping.scoring import actions_judging as judging


@pytest.fixture
def meeting(users, district) -> Campaign:
    c = actions.create_campaign(users.organiser, year=2025, title="2025年度党（工）委书记抓基层党建工作述职评议",
                                committee=district.root, meeting_date=datetime.date(2026, 1, 20))
    actions.add_participant(users.organiser, c, district.east)
    actions.add_participant(users.organiser, c, district.west)
    actions.add_participant(users.organiser, c, district.edu, mode=ParticipantMode.WRITTEN)
    actions.transition(users.organiser, c, "published")
    return actions.transition(users.organiser, c, "meeting")


@pytest.fixture
def reporters(meeting, district) -> SimpleNamespace:
    by_unit = {p.unit_id: p for p in Participant.objects.filter(campaign=meeting).select_related("unit", "secretary")}
    return SimpleNamespace(east=by_unit[district.east.pk], west=by_unit[district.west.pk], edu=by_unit[district.edu.pk])


@pytest.fixture
def judges(users, district) -> SimpleNamespace:
    return SimpleNamespace(
        judge=users.judge,
        judge_east=make_user("judge_east", Role.JUDGE, unit=district.east, display_name="东城评委"),
        judge_b=make_user("judge_b", Role.JUDGE, display_name="评委乙"),
    )


@pytest.fixture
def panel(users, meeting, judges) -> list[User]:
    seated = [judges.judge, judges.judge_east, judges.judge_b]
    judging.set_panel(users.organiser, meeting, seated)
    return seated


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    """A client that speaks to /api/ with the user's bearer token."""

    def make(user: User) -> Client:
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make
