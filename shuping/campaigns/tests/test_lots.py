"""Drawing by lot: replayable from its seed, different with another seed, applied to modes and order."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuping.audit.models import AuditEvent
from shuping.campaigns import actions, lots
from shuping.campaigns.models import Campaign, LotDraw, ParticipantMode


@pytest.fixture
def grouped(users, campaign, streets) -> Campaign:
    """east, west and five more 街道 in draw group 街道; 教育局 on site outside the group."""
    actions.add_participants(users.organiser, campaign, streets, draw_group="街道")
    for p in campaign.participants.filter(unit__category="街道"):
        actions.update_participant(users.organiser, p, draw_group="街道")
    edu = campaign.participants.get(unit__code="Q11")
    actions.update_participant(users.organiser, edu, mode=ParticipantMode.ONSITE, speaking_order=1)
    return campaign


def test_the_same_seed_draws_the_same_result():
    codes = [f"Q0{i}" for i in range(1, 8)]
    assert lots.draw(codes, 3, "abc123") == lots.draw(list(reversed(codes)), 3, "abc123")


def test_another_seed_draws_differently():
    codes = [f"Q{i:02d}" for i in range(1, 21)]
    results = {tuple(lots.draw(codes, 5, f"seed-{n}")) for n in range(10)}
    assert len(results) > 1


def test_it_refuses_to_draw_more_than_there_are():
    with pytest.raises(ValueError, match="抽取人数应在 0 到 2 之间"):
        lots.draw(["A", "B"], 3, "x")


def test_a_draw_sets_modes_and_order(users, grouped):
    lot = actions.draw_lots(users.organiser, grouped, "街道", 3, seed="fixed-seed")
    assert lot.drawn == lots.draw(lot.candidates, 3, "fixed-seed")
    assert lot.candidates == sorted(["Q01", "Q02", "Q03", "Q04", "Q05", "Q06", "Q07"])
    onsite = list(grouped.participants.filter(mode=ParticipantMode.ONSITE).order_by("speaking_order")
                  .values_list("unit__code", "speaking_order"))
    # 教育局 keeps its place; the drawn follow in drawn order.
    assert onsite == [("Q11", 1)] + [(code, i) for i, code in enumerate(lot.drawn, 2)]
    written = set(grouped.participants.filter(mode=ParticipantMode.WRITTEN).values_list("unit__code", flat=True))
    assert written == set(lot.candidates) - set(lot.drawn)


def test_a_draw_replays(users, grouped):
    lot = actions.draw_lots(users.organiser, grouped, "街道", 4)
    assert len(lot.seed) == 16
    assert actions.replay(lot) == (True, lot.drawn)


def test_replay_notices_a_tampered_result(users, grouped):
    lot = actions.draw_lots(users.organiser, grouped, "街道", 2)
    LotDraw.objects.filter(pk=lot.pk).update(drawn=list(reversed(lot.drawn)))
    ok, again = actions.replay(LotDraw.objects.get(pk=lot.pk))
    assert not ok and again == lot.drawn


def test_a_draw_is_audited_with_its_seed(users, grouped):
    lot = actions.draw_lots(users.organiser, grouped, "街道", 2, seed="s33d")
    ev = AuditEvent.objects.get(action="lot.draw")
    assert ev.data["seed"] == "s33d" and ev.data["drawn"] == lot.drawn and ev.data["candidates"] == lot.candidates


def test_it_refuses_an_empty_group(users, grouped):
    with pytest.raises(ValidationError, match="抽签分组“乡镇”中没有述职对象"):
        actions.draw_lots(users.organiser, grouped, "乡镇", 1)


def test_it_refuses_a_count_out_of_range(users, grouped):
    with pytest.raises(ValidationError, match="抽取人数应在 1 到 7 之间"):
        actions.draw_lots(users.organiser, grouped, "街道", 8)


def test_no_draw_once_the_meeting_starts(users, grouped):
    Campaign.objects.filter(pk=grouped.pk).update(state="meeting")
    with pytest.raises(ValidationError, match="述职对象已不能修改"):
        actions.draw_lots(users.organiser, Campaign.objects.get(pk=grouped.pk), "街道", 2)


def test_only_organisers_draw(users, grouped):
    with pytest.raises(PermissionDenied):
        actions.draw_lots(users.observer, grouped, "街道", 2)
