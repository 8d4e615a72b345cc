"""Fixtures for 述职评议会 tests: a campaign in 会议中 with its meeting and agenda.

`meeting_setup`: 2025 campaign (east 1st, west 2nd on site; edu in writing), an open ballot box with 20
tokens (10 区委领导, 10 领导小组成员), three judges on the panel (judge1..judge3), and the meeting built by
`agenda.create_meeting`: items 1 east 述职, 2 west 述职, 3 民主测评, 4 领导总结讲话.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shuping.accounts.models import Role
from shuping.ballots.models import BallotBox, BallotLine, BoxState
from shuping.ballots.tests.conftest import make_tokens
from shuping.campaigns.models import Campaign, CampaignState, Participant, ParticipantMode
from shuping.conftest import make_user
from shuping.meetings import agenda
from shuping.scoring.models import JudgeSeat


@pytest.fixture
def meeting_setup(users, district) -> SimpleNamespace:
    c = Campaign.objects.create(year=2025, title="2025年度述职评议", committee=district.root,
                                state=CampaignState.MEETING)
    east = Participant.objects.create(campaign=c, unit=district.east, secretary=district.east.secretary,
                                      speaking_order=1)
    west = Participant.objects.create(campaign=c, unit=district.west, secretary=district.west.secretary,
                                      speaking_order=2)
    edu = Participant.objects.create(campaign=c, unit=district.edu, secretary=district.edu.secretary,
                                     mode=ParticipantMode.WRITTEN)
    box = BallotBox.objects.create(campaign=c, state=BoxState.SETUP)
    for pos, p in enumerate((east, west, edu)):
        BallotLine.objects.create(box=box, participant=p, position=pos)
    make_tokens(box, 0, 10)
    make_tokens(box, 1, 10)
    judges = [make_user(f"judge{i}", Role.JUDGE, display_name=f"评委{i}") for i in range(1, 4)]
    for j in judges:
        JudgeSeat.objects.create(campaign=c, user=j)
    meeting = agenda.create_meeting(users.organiser, c)
    return SimpleNamespace(campaign=c, east=east, west=west, edu=edu, box=box, judges=judges, meeting=meeting,
                           items=list(meeting.items.order_by("position")))
