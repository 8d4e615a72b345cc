"""整改台账 actions: who may do what, state rules, overdue flags with fixed dates, audit events."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from shuping.audit.models import AuditEvent
from shuping.ballots.models import BallotBox, BallotComment, BoxState
from shuping.campaigns.models import Campaign
from shuping.orgs.models import Person
from shuping.rectification import actions
from shuping.rectification.models import EntryState, LedgerEntry, ProgressReport, Source

D = datetime.date


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# ---------------------------------------------------------------- entries


def test_organiser_creates_an_entry_and_it_is_audited(entry, users, district):
    assert entry.state == EntryState.OPEN
    assert entry.unit == district.east and entry.responsible == district.east.secretary
    [e] = events("ledger.create")
    assert e.actor == "organiser" and "基层党组织书记培训覆盖面不足" in e.summary


@pytest.mark.parametrize("who", ["observer", "chair", "owner", "reporter", "judge", "nobody"])
def test_only_organisers_create_entries(users, district, who):
    with pytest.raises(PermissionDenied):
        actions.create_entry(getattr(users, who), unit=district.east, problem="问题", category="style",
                             source=Source.SELF_REVIEW)


def test_create_refuses_missing_fields_in_chinese(users, district):
    with pytest.raises(ValidationError) as e:
        actions.create_entry(users.organiser, unit=district.east, problem=" ", category="nope", source="x")
    assert "请填写问题" in e.value.messages
    assert "请选择问题类别" in e.value.messages
    assert any("问题来源" in m for m in e.value.messages)
    assert not LedgerEntry.objects.exists()


def test_responsible_person_must_belong_to_the_unit(users, district):
    with pytest.raises(ValidationError, match="不是东城街道党工委的人员"):
        actions.create_entry(users.organiser, unit=district.east, problem="问题", category="style",
                             source=Source.SELF_REVIEW, responsible=district.west.secretary)
    other = Person.objects.create(name="吴委员", unit=district.east)
    e = actions.create_entry(users.organiser, unit=district.east, problem="问题", category="style",
                             source=Source.SELF_REVIEW, responsible=other.pk)
    assert e.responsible == other


def test_update_entry_records_changed_fields(entry, users):
    actions.update_entry(users.organiser, entry, measures="新的措施", deadline=D(2026, 9, 30))
    entry.refresh_from_db()
    assert entry.measures == "新的措施" and entry.deadline == D(2026, 9, 30)
    [e] = events("ledger.update")
    assert e.data["fields"] == ["deadline", "measures"]


def test_unit_people_see_only_their_own_unit(entry, west_entry, users):
    assert list(actions.visible_entries(users.owner)) == [entry]
    assert list(actions.visible_entries(users.other_reporter)) == [west_entry]
    assert set(actions.visible_entries(users.observer)) == {entry, west_entry}
    with pytest.raises(Http404):
        actions.get_entry(users.other_reporter, entry.pk)
    with pytest.raises(PermissionDenied):
        actions.visible_entries(users.judge)


# ---------------------------------------------------------------- progress and closure


def test_owner_posts_progress_with_evidence(entry, users, files, media):
    r = actions.post_progress(users.owner, entry, text="完成第一批轮训", files=[files.upload("签到表.pdf", files.pdf)])
    [ev] = r.evidence.all()
    assert ev.name == "签到表.pdf" and ev.content_type == "application/pdf" and len(ev.sha256) == 64
    assert (media / ev.file.name).read_bytes() == files.pdf
    assert events("ledger.progress")[0].data["files"][0][0] == "签到表.pdf"


@pytest.mark.parametrize("who", ["organiser", "observer", "other_reporter"])
def test_only_the_units_people_post_progress(entry, users, who):
    exc = Http404 if who == "other_reporter" else PermissionDenied
    with pytest.raises(exc):
        actions.post_progress(getattr(users, who), entry, text="进展")


def test_a_refused_file_keeps_nothing(entry, users, files, media):
    with pytest.raises(ValidationError, match="类型不允许"):
        actions.post_progress(users.owner, entry, text="进展", files=[files.upload("a.pdf", files.pdf),
                                                                      files.upload("b.pdf", files.exe)])
    assert not ProgressReport.objects.exists()
    assert not list(media.rglob("*.*"))


def test_closure_needs_a_note_and_evidence(entry, users, files):
    with pytest.raises(ValidationError, match="至少一份佐证材料"):
        actions.request_closure(users.owner, entry, note="已整改")
    with pytest.raises(ValidationError, match="请填写销号说明"):
        actions.request_closure(users.owner, entry, note="", files=[files.upload("a.png", files.png)])
    entry.refresh_from_db()
    assert entry.state == EntryState.OPEN


def test_closure_can_use_evidence_already_posted(entry, users, files):
    r = actions.post_progress(users.owner, entry, text="进展", files=[files.upload("a.png", files.png)])
    e = actions.request_closure(users.owner, entry, note="已整改", evidence_ids=[r.evidence.get().pk])
    assert e.state == EntryState.REQUESTED and e.evidence.get().for_closure


def test_verify_by_a_second_organiser_closes(entry, users, organiser2, files):
    actions.request_closure(users.owner, entry, note="已完成", files=[files.upload("a.pdf", files.pdf)])
    e = actions.verify_closure(organiser2, entry)
    assert e.state == EntryState.CLOSED and e.closed and e.verified_by == organiser2 and e.closed_at
    assert events("ledger.verify")[0].data["requested_by"] == "owner"


def test_the_requester_never_verifies(entry, users, files, district):
    """An organiser who also holds the owner role of the unit requested it: they may not verify it."""
    from shuping.accounts.models import Role, UserRole
    UserRole.objects.create(user=users.organiser, role=Role.OWNER)
    from shuping.accounts.models import User
    both = User.objects.get(pk=users.organiser.pk)
    both.unit = district.east
    both.save()
    actions.request_closure(both, entry, note="已完成", files=[files.upload("a.pdf", files.pdf)])
    with pytest.raises(ValidationError, match="申请人以外"):
        actions.verify_closure(both, entry)
    with pytest.raises(ValidationError, match="申请人以外"):
        actions.return_closure(both, entry, reason="x")


@pytest.mark.parametrize("who", ["owner", "observer", "chair"])
def test_only_organisers_verify(entry, users, files, who):
    actions.request_closure(users.owner, entry, note="已完成", files=[files.upload("a.pdf", files.pdf)])
    with pytest.raises(PermissionDenied):
        actions.verify_closure(getattr(users, who), entry)


def test_return_sends_it_back_with_a_reason(entry, users, organiser2, files):
    actions.request_closure(users.owner, entry, note="已完成", files=[files.upload("a.pdf", files.pdf)])
    with pytest.raises(ValidationError, match="请填写退回理由"):
        actions.return_closure(organiser2, entry, reason=" ")
    e = actions.return_closure(organiser2, entry, reason="佐证材料不足，缺少培训名单")
    assert e.state == EntryState.OPEN and e.return_reason == "佐证材料不足，缺少培训名单"
    # the owner may post progress and request again
    actions.post_progress(users.owner, entry, text="补充名单")
    actions.request_closure(users.owner, entry, note="已补充", files=[files.upload("名单.xlsx", files.xlsx)])
    assert actions.verify_closure(organiser2, entry).state == EntryState.CLOSED


def test_illegal_moves_are_refused(entry, users, organiser2, files):
    with pytest.raises(ValidationError, match="没有待审核的销号申请"):
        actions.verify_closure(organiser2, entry)
    with pytest.raises(ValidationError, match="只有已销号的条目才能重新打开"):
        actions.reopen(organiser2, entry, reason="x")
    actions.request_closure(users.owner, entry, note="已完成", files=[files.upload("a.pdf", files.pdf)])
    with pytest.raises(ValidationError, match="不能申请销号"):
        actions.request_closure(users.owner, entry, note="再次", files=[files.upload("a.pdf", files.pdf)])
    with pytest.raises(ValidationError, match="不能报送进展"):
        actions.post_progress(users.owner, entry, text="进展")
    actions.verify_closure(organiser2, entry)
    with pytest.raises(ValidationError, match="已销号，不能修改"):
        actions.update_entry(users.organiser, entry, measures="改")
    with pytest.raises(ValidationError, match="没有待审核的销号申请"):
        actions.verify_closure(organiser2, entry)


def test_reopen_needs_a_reason_and_is_audited(entry, users, organiser2, files):
    actions.request_closure(users.owner, entry, note="已完成", files=[files.upload("a.pdf", files.pdf)])
    actions.verify_closure(organiser2, entry)
    with pytest.raises(ValidationError, match="请填写重新打开的理由"):
        actions.reopen(users.organiser, entry, reason="")
    with pytest.raises(PermissionDenied):
        actions.reopen(users.owner, entry, reason="问题反弹")
    e = actions.reopen(users.organiser, entry, reason="督查发现问题反弹")
    assert e.state == EntryState.OPEN and e.closed_at is None and e.verified_by is None
    [ev] = events("ledger.reopen")
    assert ev.data["reason"] == "督查发现问题反弹" and ev.data["verified_by"] == "organiser2"


# ---------------------------------------------------------------- overdue


def _created(entry: LedgerEntry, when: datetime.datetime) -> None:
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=when)
    entry.refresh_from_db()


def at(y: int, m: int, d: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(y, m, d, 10, 0))


def test_add_months_clamps_the_day():
    assert actions.add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)
    assert actions.add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert actions.add_months(D(2025, 10, 15), 12) == D(2026, 10, 15)


def test_progress_overdue_after_the_cadence(entry):
    _created(entry, at(2026, 1, 10))  # default cadence 3 months → next due 2026-04-10
    s = actions.status(entry, today=D(2026, 4, 10))
    assert s.next_progress_due == D(2026, 4, 10) and not s.progress_overdue
    assert actions.status(entry, today=D(2026, 4, 11)).progress_overdue


def test_a_progress_report_resets_the_clock(entry, users):
    _created(entry, at(2026, 1, 10))
    r = actions.post_progress(users.owner, entry, text="进展")
    ProgressReport.objects.filter(pk=r.pk).update(created_at=at(2026, 4, 1))
    s = actions.status(entry, today=D(2026, 5, 1))
    assert s.last_progress == D(2026, 4, 1) and not s.progress_overdue
    assert actions.status(entry, today=D(2026, 7, 2)).progress_overdue


def test_cadence_comes_from_the_scheme(entry, users, campaign):
    # The scheme is frozen once published: set it as a draft campaign's organiser would have.
    Campaign.objects.filter(pk=campaign.pk).update(scheme={**campaign.scheme, "progress_report_months": 1})
    entry.refresh_from_db()
    _created(entry, at(2026, 1, 10))
    assert actions.cadence_months(entry) == 1
    assert actions.status(entry, today=D(2026, 2, 11)).progress_overdue


def test_past_deadline_until_closed(entry, users, organiser2, files):
    assert not actions.status(entry, today=D(2026, 6, 30)).past_deadline
    assert actions.status(entry, today=D(2026, 7, 1)).past_deadline
    entry = actions.request_closure(users.owner, entry, note="已完成", files=[files.upload("a.pdf", files.pdf)])
    s = actions.status(entry, today=D(2026, 7, 1))
    assert s.past_deadline and not s.progress_overdue  # awaiting verification: no progress expected
    entry = actions.verify_closure(organiser2, entry)
    s = actions.status(entry, today=D(2026, 7, 1))
    assert not s.past_deadline and not s.progress_overdue


def test_search_filters(entry, west_entry, users):
    _created(entry, at(2026, 1, 10))
    _created(west_entry, at(2026, 3, 1))
    f = actions.Filters
    today = D(2026, 4, 20)  # east: progress overdue; west: past its 2026-03-31 deadline
    assert [e for e, _ in actions.search(users.organiser, f(overdue="progress"), today)] == [entry]
    assert [e for e, _ in actions.search(users.organiser, f(overdue="deadline"), today)] == [west_entry]
    assert len(actions.search(users.organiser, f(overdue="any"), today)) == 2
    assert [e for e, _ in actions.search(users.organiser, f(category="resources"), today)] == [west_entry]
    assert [e for e, _ in actions.search(users.organiser, f(source=Source.INSPECTION), today)] == [entry]
    assert len(actions.search(users.organiser, f(year=2025), today)) == 2
    assert actions.search(users.organiser, f(year=2024), today) == []
    assert [e for e, _ in actions.search(users.owner, f(), today)] == [entry]


# ---------------------------------------------------------------- from ballot comments


def _comments(campaign, state=BoxState.PUBLISHED) -> BallotComment:
    box = BallotBox.objects.create(campaign=campaign, state=state)
    return BallotComment.objects.create(box=box, text="社区党组织服务群众的办法不多")


def test_entry_from_a_published_ballot_comment(campaign, users, district):
    c = _comments(campaign)
    assert list(actions.ballot_comments(users.organiser, campaign)) == [c]
    e = actions.entry_from_comment(users.organiser, campaign, c.pk, unit=district.west, category="governance")
    assert e.source == Source.BALLOT and e.problem == c.text and e.campaign == campaign
    with pytest.raises(ValidationError, match="不是本次述职对象"):
        actions.entry_from_comment(users.organiser, campaign, c.pk, unit=district.root, category="governance")


def test_comments_of_an_unpublished_box_are_not_offered(campaign, users, district):
    c = _comments(campaign, BoxState.CLOSED)
    assert not actions.ballot_comments(users.organiser, campaign).exists()
    with pytest.raises(Http404):
        actions.entry_from_comment(users.organiser, campaign, c.pk, unit=district.west, category="governance")
    with pytest.raises(PermissionDenied):
        actions.ballot_comments(users.observer, campaign)
