"""Tellers' paper ballots: the two-person rule, mismatches and their resolution, blank and spoiled sheets."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.http import Http404

from shuping.accounts.models import Role
from shuping.audit.models import AuditEvent
from shuping.ballots.actions import paper
from shuping.ballots.casting import TokenRefused, cast
from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotComment,
    BallotToken,
    BoxState,
    EncryptedBallot,
    InvalidSheet,
    PaperEntry,
    TokenStatus,
)
from shuping.ballots.tests.conftest import sealed
from shuping.conftest import make_user


@pytest.fixture
def tellers(users):
    """Three tellers: a and b key, c resolves."""
    return (users.teller, make_user("teller_b", Role.TELLER), make_user("teller_c", Role.TELLER))


def token_of(box, n=0) -> BallotToken:
    return BallotToken.objects.select_related("box").filter(box=box).order_by("serial")[n]


def ballots_of(box):
    """The box's ballots once sealed (封箱, or 封存纸质票 after it)."""
    return list(Ballot.objects.filter(box=sealed(box)).values_list("grades", "group"))


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_the_first_keying_waits_for_a_second_teller(box, tellers):
    a, _, _ = tellers
    result = paper.key_sheet(a, token_of(box), "124", comment="加强阵地建设")
    assert result.outcome == paper.PENDING and result.message == "已保存，待另一名计票员复核"
    assert not EncryptedBallot.objects.exists()
    assert PaperEntry.objects.count() == 1
    assert token_of(box).status == TokenStatus.ISSUED


def test_two_identical_keyings_cast_exactly_one_ballot_and_delete_the_entries(box, tellers):
    a, b, _ = tellers
    t = token_of(box, 3)
    paper.key_sheet(a, t, "124", comment="加强 阵地建设，")
    result = paper.key_sheet(b, t, "124", comment="加强阵地建设,")  # spacing and full/half width do not count
    assert result.outcome == paper.CONFIRMED and result.message == "一致，已计入"
    assert ballots_of(box) == [("124", 0)]
    assert BallotComment.objects.get().text == "加强 阵地建设，"
    assert not PaperEntry.objects.exists()
    t.refresh_from_db()
    assert (t.status, t.channel) == (TokenStatus.USED, "paper")
    [ev] = events("ballot.paper_confirm")
    assert ev.data == {"serial": t.serial, "tellers": ["teller", "teller_b"]}


def test_the_same_teller_cannot_confirm_their_own_keying(box, tellers):
    a, _, _ = tellers
    paper.key_sheet(a, token_of(box), "111")
    with pytest.raises(ValidationError, match="须由另一名计票员复核"):
        paper.key_sheet(a, token_of(box), "111")
    assert not EncryptedBallot.objects.exists() and PaperEntry.objects.count() == 1


def test_the_sheet_state_never_reveals_the_first_keying(box, tellers):
    a, b, _ = tellers
    t = token_of(box)
    assert paper.find_sheet(a, box, t.code).state == paper.NEW
    paper.key_sheet(a, t, "421", comment="首次录入的意见")
    sheet = paper.find_sheet(b, box, t.code)
    assert sheet.state == paper.AWAITING_SECOND and sheet.keyable
    assert "421" not in repr(sheet) and "首次录入的意见" not in repr(sheet)
    assert paper.find_sheet(a, box, t.code).state == paper.KEYED_BY_YOU


def test_different_keyings_wait_as_a_mismatch_without_a_ballot(box, tellers):
    a, b, _ = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "124")
    result = paper.key_sheet(b, t, "134")
    assert result.outcome == paper.MISMATCHED and result.message == "不一致，待处理"
    assert not EncryptedBallot.objects.exists() and PaperEntry.objects.count() == 2
    assert token_of(box).status == TokenStatus.ISSUED
    [ev] = events("ballot.paper_mismatch")
    assert ev.data["positions"] == [1] and ev.data["tellers"] == ["teller", "teller_b"]
    assert "124" not in str(ev.data) and "134" not in str(ev.data)


def test_a_third_teller_resolves_a_mismatch_and_it_is_cast(box, tellers):
    a, b, c = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "124")
    paper.key_sheet(b, t, "134", comment="意见")
    with pytest.raises(ValidationError, match="不一致"):
        paper.key_sheet(c, t, "124")  # a mismatch is not keyed again: it is resolved
    [m] = paper.mismatches(c, box)
    assert m.token.serial == t.serial and m.differences.positions == [1] and m.differences.comment
    result = paper.resolve_mismatch(c, t, "124")
    assert result.outcome == paper.CONFIRMED
    assert ballots_of(box) == [("124", 0)] and not PaperEntry.objects.exists()
    [ev] = events("ballot.paper_resolve")
    assert ev.data == {"serial": t.serial, "tellers": ["teller", "teller_b"], "resolver": "teller_c",
                       "positions": [1], "item_positions": [], "comment": True, "blank_sheet": False}


def test_an_organiser_may_resolve(box, tellers, users):
    a, b, _ = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "124")
    paper.key_sheet(b, t, "134")
    paper.resolve_mismatch(users.organiser, t, "134")
    assert ballots_of(box) == [("134", 0)]


def test_the_two_who_keyed_cannot_resolve_nor_see_the_mismatch(box, tellers):
    a, b, c = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "124")
    paper.key_sheet(b, t, "134")
    for keyer in (a, b):
        assert paper.mismatches(keyer, box) == []
        with pytest.raises(Http404):
            paper.get_mismatch(keyer, box, t.serial)
        with pytest.raises(PermissionDenied):
            paper.resolve_mismatch(keyer, t, "124")
        with pytest.raises(PermissionDenied):
            paper.mark_invalid(keyer, t, "看不清")
    assert paper.get_mismatch(c, box, t.serial).token == t
    assert not EncryptedBallot.objects.exists() and PaperEntry.objects.count() == 2


def test_resolving_needs_a_mismatch(box, tellers):
    a, _, c = tellers
    paper.key_sheet(a, token_of(box), "124")
    with pytest.raises(ValidationError, match="没有待处理"):
        paper.resolve_mismatch(c, token_of(box), "124")


def test_a_blank_sheet_counts_as_all_abstentions(box, tellers):
    a, b, _ = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "", blank_sheet=True)
    assert paper.key_sheet(b, t, "124", blank_sheet=True).outcome == paper.CONFIRMED
    assert ballots_of(box) == [("000", 0)]


def test_blank_against_all_abstain_is_a_mismatch(box, tellers):
    a, b, _ = tellers
    paper.key_sheet(a, token_of(box), "", blank_sheet=True)
    assert paper.key_sheet(b, token_of(box), "000").outcome == paper.MISMATCHED


def test_item_grades_are_compared(box, tellers):
    BallotBox.objects.filter(pk=box.pk).update(items=["政治建设", "基层治理"])
    a, b, _ = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "111", item_grades="121200")
    assert paper.key_sheet(b, t, "111", item_grades="121300").outcome == paper.MISMATCHED
    [ev] = events("ballot.paper_mismatch")
    assert ev.data["positions"] == [] and ev.data["item_positions"] == [1]


def test_unmarked_items_equal_no_items(box, tellers):
    BallotBox.objects.filter(pk=box.pk).update(items=["政治建设"])
    a, b, _ = tellers
    paper.key_sheet(a, token_of(box), "111", item_grades="000")
    assert paper.key_sheet(b, token_of(box), "111").outcome == paper.CONFIRMED
    assert Ballot.objects.get(box=sealed(box)).item_grades == ""


def test_a_spoiled_sheet_is_recorded_with_its_reason(box, tellers):
    a, b, _ = tellers
    t = token_of(box)
    paper.key_sheet(b, t, "111")  # a pending keying is discarded
    sheet = paper.mark_invalid(a, t, "  同一人多处划两个勾 ")
    assert sheet.reason == "同一人多处划两个勾" and sheet.recorded_by == a
    assert token_of(box).status == TokenStatus.INVALID
    assert not PaperEntry.objects.exists() and not EncryptedBallot.objects.exists()
    [ev] = events("ballot.sheet_invalid")
    assert ev.data == {"serial": t.serial, "reason": "同一人多处划两个勾", "discarded_keyings": ["teller_b"]}
    with pytest.raises(ValidationError, match="已登记为废票"):
        paper.key_sheet(b, t, "111")
    with pytest.raises(TokenRefused):
        cast(token_of(box), "phone", "111", nonce="n")


def test_a_spoiled_sheet_needs_a_reason(box, tellers):
    with pytest.raises(ValidationError, match="原因"):
        paper.mark_invalid(tellers[0], token_of(box), "  ")
    assert not InvalidSheet.objects.exists()


def test_a_third_teller_may_declare_a_mismatch_invalid_but_an_organiser_only_a_mismatch(box, tellers, users):
    a, b, c = tellers
    with pytest.raises(PermissionDenied):
        paper.mark_invalid(users.organiser, token_of(box, 1), "污损")
    paper.key_sheet(a, token_of(box), "124")
    paper.key_sheet(b, token_of(box), "134")
    paper.mark_invalid(c, token_of(box), "涂改无法辨认")
    assert token_of(box).status == TokenStatus.INVALID and not PaperEntry.objects.exists()


def test_a_token_used_on_a_phone_is_refused_on_paper(box, tellers):
    a = tellers[0]
    t = token_of(box)
    cast(t, "phone", "111", nonce="n1")
    assert paper.find_sheet(a, box, t.code).state == paper.PHONE
    with pytest.raises(ValidationError, match="该票号已通过手机投票，纸质票不再计入"):
        paper.key_sheet(a, t, "444")
    with pytest.raises(ValidationError, match="已通过手机投票"):
        paper.mark_invalid(a, t, "x")
    assert ballots_of(box) == [("111", 0)]


def test_a_phone_vote_after_the_first_keying_wins_and_the_second_keying_is_refused(box, tellers):
    a, b, _ = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "444")
    cast(token_of(box), "phone", "111", nonce="n1")
    with pytest.raises(ValidationError, match="已通过手机投票"):
        paper.key_sheet(b, t, "444")
    assert ballots_of(box) == [("111", 0)]


def test_a_paper_ballot_refuses_the_phone_afterwards(box, tellers):
    a, b, _ = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "222")
    paper.key_sheet(b, t, "222")
    with pytest.raises(TokenRefused) as e:
        cast(token_of(box), "phone", "111", nonce="n1")
    assert e.value.reason == TokenRefused.USED
    with pytest.raises(ValidationError, match="已录入并计入"):
        paper.key_sheet(tellers[2], t, "222")
    assert ballots_of(box) == [("222", 0)]


def test_a_closed_box_still_takes_paper_but_a_published_or_unopened_one_does_not(box, tellers):
    a, b, _ = tellers
    BallotBox.objects.filter(pk=box.pk).update(state=BoxState.CLOSED)
    paper.key_sheet(a, token_of(box), "111")
    assert paper.key_sheet(b, token_of(box), "111").outcome == paper.CONFIRMED
    for state, message in ((BoxState.PUBLISHED, "已公布"), (BoxState.SETUP, "尚未开启")):
        BallotBox.objects.filter(pk=box.pk).update(state=state)
        with pytest.raises(ValidationError, match=message):
            paper.key_sheet(a, token_of(box, 1), "111")
        with pytest.raises(ValidationError, match=message):
            paper.mark_invalid(a, token_of(box, 1), "x")
    assert EncryptedBallot.objects.count() == 1


@pytest.mark.parametrize("grades", ["11", "1115", "1x1", ""])
def test_malformed_keyings_change_nothing(box, tellers, grades):
    with pytest.raises(ValidationError):
        paper.key_sheet(tellers[0], token_of(box), grades)
    assert not PaperEntry.objects.exists()


def test_an_oversized_comment_is_refused(box, tellers):
    with pytest.raises(ValidationError, match="不能超过"):
        paper.key_sheet(tellers[0], token_of(box), "111", comment="很" * 501)
    assert not PaperEntry.objects.exists()


def test_only_tellers_key_sheets(box, users):
    for who in (users.organiser, users.observer, users.chair, users.reporter, users.nobody):
        with pytest.raises(PermissionDenied):
            paper.key_sheet(who, token_of(box), "111")
        with pytest.raises(PermissionDenied):
            paper.find_sheet(who, box, token_of(box).code)
    assert not PaperEntry.objects.exists()


def test_find_sheet_by_typed_code_or_scanned_qr(box, tellers):
    a = tellers[0]
    t = token_of(box, 4)
    typed = f"{t.code[:4].lower()}-{t.code[4:]}"
    assert paper.find_sheet(a, box, typed).token == t
    assert paper.find_sheet(a, box, f"http://127.0.0.1:8000/v/{t.secret}/").token == t
    assert paper.find_sheet(a, box, t.secret).token == t
    for bad in ("", "ABCD-EFG", str(t.serial), "http://x/v/nope/"):
        with pytest.raises(ValidationError, match="未找到"):
            paper.find_sheet(a, box, bad)


def test_sheets_of_another_box_are_not_found(box, tellers, district):
    from shuping.campaigns.models import Campaign, CampaignState

    other = Campaign.objects.create(year=2024, title="2024", committee=district.root, state=CampaignState.MEETING)
    other_box = BallotBox.objects.create(campaign=other, state=BoxState.OPEN)
    with pytest.raises(ValidationError, match="未找到"):
        paper.find_sheet(tellers[0], other_box, token_of(box).code)


def test_progress_counts(box, tellers, users):
    a, b, c = tellers
    cast(token_of(box, 0), "phone", "111", nonce="n")
    paper.key_sheet(a, token_of(box, 1), "111")
    paper.key_sheet(b, token_of(box, 1), "111")  # confirmed
    paper.key_sheet(a, token_of(box, 2), "111")  # keyed once
    paper.key_sheet(a, token_of(box, 3), "111")
    paper.key_sheet(b, token_of(box, 3), "222")  # mismatch
    paper.mark_invalid(c, token_of(box, 4), "撕毁")
    BallotToken.objects.filter(pk=token_of(box, 5).pk).update(status=TokenStatus.REVOKED)
    p = paper.progress(a, box)
    assert (p.issued, p.phone, p.confirmed, p.keyed_once, p.mismatched, p.invalid, p.unused, p.mine_pending) == (
        19, 1, 1, 1, 1, 1, 16, 1)
    assert paper.progress(users.observer, box).mine_pending == 0
    with pytest.raises(PermissionDenied):
        paper.progress(users.reporter, box)


def test_no_audit_event_carries_grades(box, tellers):
    a, b, c = tellers
    paper.key_sheet(a, token_of(box), "124", comment="秘密意见")
    paper.key_sheet(b, token_of(box), "134", comment="秘密意见")
    paper.resolve_mismatch(c, token_of(box), "134", comment="秘密意见")
    for ev in AuditEvent.objects.filter(action__startswith="ballot.paper"):
        text = f"{ev.summary} {ev.data}"
        assert "124" not in text and "134" not in text and "秘密意见" not in text


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")


def _race(jobs) -> list[object]:
    """Run the callables at once in threads; return what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    out: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            barrier.wait()
            out[i] = jobs[i]()
        except BaseException as e:  # collected for the assertions
            out[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_second_keyings_and_a_phone_yield_exactly_one_ballot(box, tellers, users):
    a, b, c = tellers
    d = make_user("teller_d", Role.TELLER)
    for n in range(5):
        t = token_of(box, n)
        paper.key_sheet(a, t, "124")
        out = _race([
            lambda t=t: paper.key_sheet(b, t, "124"),
            lambda t=t: paper.key_sheet(c, t, "124"),
            lambda t=t: paper.key_sheet(d, t, "124"),
            lambda t=t: cast(t, "phone", "111", nonce=f"n{t.pk}"),
        ])
        wins = [r for r in out if not isinstance(r, BaseException)]
        assert len(wins) == 1, out
        assert all(isinstance(r, (ValidationError, TokenRefused)) for r in out if r not in wins), out
        assert EncryptedBallot.objects.count() == n + 1
        assert not PaperEntry.objects.filter(token=t).exists() or token_of(box, n).status == TokenStatus.USED


def test_pending_sheets_for_the_reconciliation(box, tellers):
    a, b, _ = tellers
    assert paper.pending_sheets(box) == (0, 0)
    paper.key_sheet(a, token_of(box, 0), "111")
    paper.key_sheet(a, token_of(box, 1), "111")
    paper.key_sheet(b, token_of(box, 1), "112")
    assert paper.pending_sheets(box) == (1, 1)
