"""Fixtures for 民主测评 tests: a published campaign with three reporters and an open box.

`box` has lines east (position 0), west (1), edu (2) and 20 tokens: 10 in group 0 (区委领导),
10 in group 1 (领导小组成员). Build further states through the real actions where they exist.
"""

from __future__ import annotations

import pytest

from shuping.ballots import codes
from shuping.ballots.models import BallotBox, BallotLine, BallotToken, BoxState
from shuping.campaigns.models import Campaign, CampaignState, Participant, ParticipantMode


@pytest.fixture
def campaign(district) -> Campaign:
    c = Campaign.objects.create(year=2023, title="2023年度述职评议", committee=district.root, state=CampaignState.MEETING)
    for i, unit in enumerate((district.east, district.west), start=1):
        Participant.objects.create(campaign=c, unit=unit, secretary=unit.secretary, speaking_order=i)
    Participant.objects.create(campaign=c, unit=district.edu, secretary=district.edu.secretary,
                               mode=ParticipantMode.WRITTEN)
    return c


def make_tokens(box: BallotBox, group: int, n: int) -> list[BallotToken]:
    start = BallotToken.objects.filter(box=box).count()
    return BallotToken.objects.bulk_create([
        BallotToken(box=box, group=group, serial=start + i, secret=codes.new_secret(), code=codes.new_code())
        for i in range(1, n + 1)
    ])


@pytest.fixture
def box(campaign) -> BallotBox:
    b = BallotBox.objects.create(campaign=campaign, state=BoxState.OPEN)
    for pos, p in enumerate(campaign.participants.order_by("mode", "speaking_order", "unit__code")):
        BallotLine.objects.create(box=b, participant=p, position=pos)
    make_tokens(b, 0, 10)
    make_tokens(b, 1, 10)
    return BallotBox.objects.get(pk=b.pk)


def sealed(box: BallotBox) -> BallotBox:
    """Seal the urn the way the organiser does: 封箱 when voting is open, 封存纸质票 when already closed.

    Cast ballots are encrypted until then (shuping.ballots.urn); tests that read Ballot rows seal first."""
    from shuping.accounts.models import Role, User
    from shuping.ballots.actions import setup
    from shuping.ballots.models import EncryptedBallot
    from shuping.conftest import make_user

    box.refresh_from_db()
    organiser = User.objects.filter(username="sealer").first() or make_user("sealer", Role.ORGANISER)
    if box.state == BoxState.OPEN:
        setup.close_box(organiser, box)
    elif EncryptedBallot.objects.filter(box=box).exists():
        setup.seal_paper(organiser, box)
    return box
