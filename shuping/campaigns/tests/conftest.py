"""Campaign fixtures, built through the real actions."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.accounts.models import User
from shuping.campaigns import actions
from shuping.campaigns.models import Campaign, ParticipantMode
from shuping.orgs.models import Person, Unit


@pytest.fixture
def campaign(users, district) -> Campaign:
    """A 2025 draft with east and west on site and 教育局 in writing."""
    c = actions.create_campaign(users.organiser, year=2025, title="2025年度党（工）委书记抓基层党建工作述职评议",
                                committee=district.root, meeting_date=datetime.date(2026, 1, 20))
    actions.add_participant(users.organiser, c, district.east)
    actions.add_participant(users.organiser, c, district.west)
    actions.add_participant(users.organiser, c, district.edu, mode=ParticipantMode.WRITTEN)
    return c


@pytest.fixture
def published(users, campaign) -> Campaign:
    return actions.transition(users.organiser, campaign, "published")


@pytest.fixture
def streets(users, district) -> list[Unit]:
    """Five more 街道 with secretaries, for lot draws and bulk adds."""
    made = []
    for i in range(3, 8):
        u = Unit.objects.create(code=f"Q0{i}", name=f"第{i}街道党工委", type="党工委", category="街道",
                                parent=district.root, sort_order=i)
        u.secretary = Person.objects.create(name=f"书记{i}", unit=u, position="书记")
        u.save()
        made.append(u)
    return made


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    """A client that speaks to /api/ with the user's bearer token."""

    def make(user: User) -> Client:
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make

