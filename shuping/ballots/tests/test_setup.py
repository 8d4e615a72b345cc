"""The organiser's ballot-box actions: create, lines, settings, tokens, revoke and the state moves."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuping.audit.models import AuditEvent
from shuping.ballots import codes
from shuping.ballots.actions import setup
from shuping.ballots.casting import cast
from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotToken,
    BoxState,
    InvalidSheet,
    PaperEntry,
    TokenChannel,
    TokenStatus,
)
from shuping.campaigns.models import CampaignState


@pytest.fixture
def new_box(users, campaign) -> BallotBox:
    return setup.create_box(users.organiser, campaign)


def line_units(box: BallotBox) -> list[str]:
    return list(box.lines.order_by("position").values_list("participant__unit__code", flat=True))


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_create_box_puts_onsite_in_speaking_order_then_written(users, campaign):
    campaign.scheme["ballot_items"] = ["政治建设", "作风建设"]
    campaign.save()
    box = setup.create_box(users.organiser, campaign)
    assert box.state == BoxState.SETUP
    assert line_units(box) == ["Q01", "Q02", "Q11"]
    assert box.items == ["政治建设", "作风建设"]
    assert events("ballot.box_create")[0].data["lines"] == list(
        box.lines.order_by("position").values_list("participant_id", flat=True))


def test_create_box_follows_speaking_order_not_roster(users, campaign):
    campaign.participants.filter(unit__code="Q01").update(speaking_order=5)
    box = setup.create_box(users.organiser, campaign)
    assert line_units(box) == ["Q02", "Q01", "Q11"]


def test_create_box_refuses_a_second_box_and_draft_campaigns(users, campaign, new_box):
    with pytest.raises(ValidationError, match="已有民主测评票箱"):
        setup.create_box(users.organiser, campaign)
    BallotBox.objects.all().delete()
    campaign.state = CampaignState.DRAFT
    campaign.save()
    with pytest.raises(ValidationError, match="草拟"):
        setup.create_box(users.organiser, campaign)


def test_create_box_needs_participants(users, campaign):
    campaign.participants.all().delete()
    with pytest.raises(ValidationError, match="没有述职对象"):
        setup.create_box(users.organiser, campaign)


def test_only_organisers_set_up(users, campaign, new_box):
    for who in (users.observer, users.teller, users.admin, users.reporter, users.nobody):
        with pytest.raises(PermissionDenied):
            setup.create_box(who, campaign)
        with pytest.raises(PermissionDenied):
            setup.issue_tokens(who, new_box, {0: 1})
        with pytest.raises(PermissionDenied):
            setup.open_box(who, new_box)
    assert BallotToken.objects.count() == 0 and new_box.state == BoxState.SETUP


def test_set_lines_reorders_and_removes(users, campaign, new_box):
    ids = {p.unit.code: p.pk for p in campaign.participants.select_related("unit")}
    setup.set_lines(users.organiser, new_box, [ids["Q11"], ids["Q01"]])
    assert line_units(new_box) == ["Q11", "Q01"]
    ev = events("ballot.lines_set")[-1]
    assert ev.data["after"] == [ids["Q11"], ids["Q01"]]


def test_set_lines_refuses_foreign_duplicate_or_empty(users, campaign, new_box, district):
    from shuping.campaigns.models import Campaign, Participant

    other = Campaign.objects.create(year=2022, title="2022", committee=district.root, state=CampaignState.MEETING)
    foreign = Participant.objects.create(campaign=other, unit=district.east, secretary=district.east.secretary)
    ids = list(campaign.participants.values_list("pk", flat=True))
    with pytest.raises(ValidationError, match="不属于本考核方案"):
        setup.set_lines(users.organiser, new_box, [*ids, foreign.pk])
    with pytest.raises(ValidationError, match="重复"):
        setup.set_lines(users.organiser, new_box, [ids[0], ids[0]])
    with pytest.raises(ValidationError, match="至少"):
        setup.set_lines(users.organiser, new_box, [])
    assert line_units(new_box) == ["Q01", "Q02", "Q11"]


def test_lines_and_settings_are_frozen_once_open(users, box):
    with pytest.raises(ValidationError, match="投票中"):
        setup.set_lines(users.organiser, box, [box.lines.first().participant_id])
    with pytest.raises(ValidationError, match="投票中"):
        setup.update_box(users.organiser, box, ["x"], True, 100)


def test_update_box(users, new_box):
    setup.update_box(users.organiser, new_box, [" 工作成效 ", "", "作风建设"], False, 300)
    new_box.refresh_from_db()
    assert new_box.items == ["工作成效", "作风建设"] and not new_box.comments_enabled
    assert new_box.comment_max_chars == 300
    assert events("ballot.box_update")[-1].data["after"]["items"] == ["工作成效", "作风建设"]


@pytest.mark.parametrize(("items", "max_chars", "message"), [
    (["a", "a"], 100, "重复"),
    (["x" * 21], 100, "不能超过"),
    ([str(i) for i in range(9)], 100, "最多"),
    ([], 0, "1 到"),
    ([], "many", "整数"),
])
def test_update_box_refuses_bad_settings(users, new_box, items, max_chars, message):
    with pytest.raises(ValidationError, match=message):
        setup.update_box(users.organiser, new_box, items, True, max_chars)
    new_box.refresh_from_db()
    assert new_box.items == [] and new_box.comment_max_chars == 500


def test_issue_tokens_continues_serials_with_unique_codes(users, new_box):
    first = setup.issue_tokens(users.organiser, new_box, {0: 3, 2: 2})
    assert [(t.group, t.serial) for t in first] == [(0, 1), (0, 2), (0, 3), (2, 4), (2, 5)]
    setup.open_box(users.organiser, new_box)
    more = setup.issue_tokens(users.organiser, new_box, {1: 4})
    assert [t.serial for t in more] == [6, 7, 8, 9]
    stored = BallotToken.objects.filter(box=new_box)
    assert stored.count() == 9
    assert len(set(stored.values_list("code", flat=True))) == 9
    assert len(set(stored.values_list("secret", flat=True))) == 9
    for t in stored:
        assert len(t.code) == codes.CODE_LENGTH and set(t.code) <= set(codes.CODE_ALPHABET)
        assert len(t.secret) >= 22 and t.status == TokenStatus.ISSUED
    issued = events("ballot.tokens_issue")
    assert issued[0].data["counts"] == {"区委领导": 3, "党代表": 2}
    assert issued[0].data["serials"] == {"区委领导": [1, 3], "党代表": [4, 5]}
    assert issued[1].data["counts"] == {"领导小组成员": 4}


@pytest.mark.parametrize(("counts", "message"), [
    ({9: 1}, "不存在"),
    ({0: -1}, "负数"),
    ({0: 0}, "至少"),
    ({0: setup.MAX_TOKENS_PER_ISSUE + 1}, "一次最多"),
])
def test_issue_tokens_refuses_bad_counts(users, new_box, counts, message):
    with pytest.raises(ValidationError, match=message):
        setup.issue_tokens(users.organiser, new_box, counts)
    assert not BallotToken.objects.exists()


def test_no_tokens_after_close(users, box):
    setup.close_box(users.organiser, box)
    with pytest.raises(ValidationError, match="已封箱"):
        setup.issue_tokens(users.organiser, box, {0: 1})


def test_revoke_an_unused_token_stops_it_voting(users, box):
    token = BallotToken.objects.select_related("box").get(box=box, serial=3)
    setup.revoke_token(users.organiser, token, "票据遗失")
    token.refresh_from_db()
    assert token.status == TokenStatus.REVOKED
    ev = events("ballot.token_revoke")[-1]
    assert ev.data == {"serial": 3, "group": 0, "reason": "票据遗失"} and "票据遗失" in ev.summary
    from shuping.ballots.casting import TokenRefused

    with pytest.raises(TokenRefused):
        cast(BallotToken.objects.select_related("box").get(pk=token.pk), TokenChannel.PHONE, "111", nonce="n")


def test_revoke_refuses_used_tokens_and_needs_a_reason(users, box):
    token = BallotToken.objects.select_related("box").get(box=box, serial=1)
    with pytest.raises(ValidationError, match="原因"):
        setup.revoke_token(users.organiser, token, "  ")
    cast(token, TokenChannel.PHONE, "123", nonce="abc")
    with pytest.raises(ValidationError, match="已使用"):
        setup.revoke_token(users.organiser, token, "误发")
    assert BallotToken.objects.get(pk=token.pk).status == TokenStatus.USED


def test_revoke_refuses_a_sheet_being_keyed(users, box):
    token = BallotToken.objects.select_related("box").get(box=box, serial=2)
    PaperEntry.objects.create(box=box, token=token, teller=users.teller, grades="111")
    with pytest.raises(ValidationError, match="录入中"):
        setup.revoke_token(users.organiser, token, "遗失")


def test_state_moves(users, new_box):
    o = users.organiser
    setup.open_box(o, new_box)
    assert BallotBox.objects.get(pk=new_box.pk).state == BoxState.OPEN and new_box.opened_at
    setup.close_box(o, new_box)
    assert new_box.state == BoxState.CLOSED and new_box.closed_at
    setup.reopen_box(o, new_box, "部分代表迟到")
    assert new_box.state == BoxState.OPEN and new_box.closed_at is None
    setup.close_box(o, new_box)
    setup.publish_box(o, new_box)
    assert BallotBox.objects.get(pk=new_box.pk).state == BoxState.PUBLISHED
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="ballot.").order_by("seq")] == [
        "ballot.box_create", "ballot.open", "ballot.close", "ballot.seal", "ballot.reopen", "ballot.close",
        "ballot.seal", "ballot.publish"]
    assert "部分代表迟到" in events("ballot.reopen")[0].summary


@pytest.mark.parametrize(("state", "move", "message"), [
    (BoxState.SETUP, "close_box", "封箱"),
    (BoxState.SETUP, "publish_box", "公布"),
    (BoxState.OPEN, "open_box", "开始投票"),
    (BoxState.OPEN, "publish_box", "公布"),
    (BoxState.CLOSED, "open_box", "开始投票"),
    (BoxState.PUBLISHED, "close_box", "封箱"),
    (BoxState.PUBLISHED, "open_box", "开始投票"),
])
def test_illegal_moves_are_refused(users, new_box, state, move, message):
    BallotBox.objects.filter(pk=new_box.pk).update(state=state)
    new_box.refresh_from_db()
    with pytest.raises(ValidationError, match=message):
        getattr(setup, move)(users.organiser, new_box)
    assert BallotBox.objects.get(pk=new_box.pk).state == state


def test_reopen_needs_a_reason_and_a_closed_box(users, box):
    with pytest.raises(ValidationError, match="封箱"):
        setup.reopen_box(users.organiser, box, "理由")
    setup.close_box(users.organiser, box)
    with pytest.raises(ValidationError, match="理由"):
        setup.reopen_box(users.organiser, box, "")
    setup.publish_box(users.organiser, box)
    with pytest.raises(ValidationError, match="已公布"):
        setup.reopen_box(users.organiser, box, "理由")


def test_open_needs_a_running_campaign(users, new_box, campaign):
    campaign.state = CampaignState.TALLYING
    campaign.save()
    with pytest.raises(ValidationError, match="统分中"):
        setup.open_box(users.organiser, new_box)


def test_publish_is_refused_when_ballots_outnumber_tokens(users, box):
    tokens = list(BallotToken.objects.select_related("box").filter(box=box).order_by("serial"))
    for i, t in enumerate(tokens[:19]):
        cast(t, TokenChannel.PHONE, "123", nonce=f"n{i}")
    # A ballot that no token accounts for (e.g. injected into the table) and one spoiled sheet.
    Ballot.objects.create(box=box, group=0, grades="111")
    Ballot.objects.create(box=box, group=0, grades="111")
    setup.close_box(users.organiser, box)
    flags = setup.box_flags(box)
    assert len(flags) == 1 and "21" in flags[0] and "20" in flags[0]
    with pytest.raises(ValidationError, match="不能公布"):
        setup.publish_box(users.organiser, box)
    assert BallotBox.objects.get(pk=box.pk).state == BoxState.CLOSED


def test_revoking_unreturned_tokens_can_flag_the_box(users, box):
    tokens = list(BallotToken.objects.select_related("box").filter(box=box).order_by("serial"))
    for i, t in enumerate(tokens[:2]):
        cast(t, TokenChannel.PHONE, "123", nonce=f"n{i}")
    InvalidSheet.objects.create(box=box, token=tokens[2], reason="污损", recorded_by=users.teller)
    BallotToken.objects.filter(pk=tokens[2].pk).update(status=TokenStatus.INVALID)
    assert setup.box_flags(box) == []
    c = setup.box_counts(box)
    assert (c.issued, c.ballots, c.invalid) == (20, 2, 1)


def test_pending_paper_blocks_publication(users, box):
    token = BallotToken.objects.select_related("box").get(box=box, serial=5)
    PaperEntry.objects.create(box=box, token=token, teller=users.teller, grades="111")
    setup.close_box(users.organiser, box)
    with pytest.raises(ValidationError, match="纸质票"):
        setup.publish_box(users.organiser, box)


def test_turnout_counts_per_group(users, box, django_assert_num_queries):
    tokens = list(BallotToken.objects.select_related("box").filter(box=box).order_by("serial"))
    cast(tokens[0], TokenChannel.PHONE, "123", nonce="a")
    cast(tokens[1], TokenChannel.PHONE, "123", nonce="b")
    cast(tokens[10], TokenChannel.PAPER, "000")
    setup.revoke_token(users.organiser, tokens[11], "遗失")
    BallotToken.objects.filter(pk=tokens[12].pk).update(status=TokenStatus.INVALID, channel=TokenChannel.PAPER)
    box = BallotBox.objects.select_related("campaign").get(pk=box.pk)  # as the access helper returns it
    with django_assert_num_queries(1):
        t = setup.turnout(box)
    g0, g1 = t.groups[0], t.groups[1]
    assert (g0.name, g0.issued, g0.phone, g0.paper, g0.remaining) == ("区委领导", 10, 2, 0, 8)
    assert (g1.issued, g1.phone, g1.paper, g1.invalid, g1.revoked, g1.remaining) == (9, 0, 1, 1, 1, 7)
    assert (t.groups[2].issued, t.groups[3].issued) == (0, 0)
    assert (t.total.issued, t.total.used, t.total.remaining) == (19, 3, 15)
    assert t.as_dict()["total"]["used_phone"] == 2 and t.as_dict()["state_label"] == "投票中"
