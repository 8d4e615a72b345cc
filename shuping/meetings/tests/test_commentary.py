"""The chair's 点评 actions: autosave with revisions, problems anchored to the text, hand-over to the ledger."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuping.audit.models import AuditEvent
from shuping.conftest import race
from shuping.meetings import commentary
from shuping.meetings.commentary import StaleRevision, add_problem, problems_to_ledger, reanchor, save_commentary
from shuping.meetings.models import Commentary, CommentaryProblem, MeetingState
from shuping.rectification.models import LedgerEntry, Source

TEXT = "钱东明同志述职重点突出。存在问题：一是软弱涣散村整顿进度慢；二是党建经费保障不足。建议抓紧整改。"


def span(text: str, words: str) -> tuple[int, int]:
    i = text.index(words)
    return i, i + len(words)


# --- autosave --------------------------------------------------------------------------------------

def test_first_save_creates_revision_one_and_is_audited(meeting_setup, users):
    c = save_commentary(users.chair, meeting_setup.east, TEXT, 0)
    assert (c.text, c.revision, c.author) == (TEXT, 1, users.chair)
    ev = AuditEvent.objects.filter(action="meeting.commentary_save").get()
    assert "东城街道党工委" in ev.summary and ev.data["revision"] == 1


def test_a_stale_revision_is_refused_and_the_stored_text_kept(meeting_setup, users):
    save_commentary(users.chair, meeting_setup.east, "第一个窗口的内容", 0)
    save_commentary(users.chair, meeting_setup.east, "第一个窗口的内容，继续写", 1)
    with pytest.raises(StaleRevision) as e:
        save_commentary(users.chair, meeting_setup.east, "另一个旧窗口的内容", 1)
    assert e.value.text == "第一个窗口的内容，继续写" and e.value.revision == 2
    assert "另一窗口已修改" in e.value.messages[0]
    c = Commentary.objects.get(participant=meeting_setup.east)
    assert (c.text, c.revision) == ("第一个窗口的内容，继续写", 2)


def test_resending_the_saved_text_with_an_old_revision_is_accepted(meeting_setup, users):
    """The answer to a save was lost (lid closed): the page sends the same text again with its old revision."""
    save_commentary(users.chair, meeting_setup.east, TEXT, 0)
    c = save_commentary(users.chair, meeting_setup.east, TEXT, 0)
    assert c.revision == 1
    assert AuditEvent.objects.filter(action="meeting.commentary_save").count() == 1


def test_windows_line_breaks_are_stored_as_newlines(meeting_setup, users):
    c = save_commentary(users.chair, meeting_setup.east, "第一段\r\n第二段", 0)
    assert c.text == "第一段\n第二段"


@pytest.mark.parametrize("who", ["organiser", "observer", "judge", "reporter", "nobody"])
def test_only_the_chair_writes_commentary(meeting_setup, users, who):
    with pytest.raises(PermissionDenied):
        save_commentary(getattr(users, who), meeting_setup.east, TEXT, 0)
    assert not Commentary.objects.exists()


def test_commentary_needs_a_meeting(meeting_setup, users):
    meeting_setup.meeting.items.all().delete()
    meeting_setup.meeting.delete()
    with pytest.raises(ValidationError, match="尚未安排述职评议会"):
        save_commentary(users.chair, meeting_setup.east, TEXT, 0)


# --- anchoring -------------------------------------------------------------------------------------

def test_reanchor_follows_an_edit_before_the_span():
    old = "甲乙丙丁戊"
    assert reanchor(old, "新增甲乙丙丁戊", 2, 4) == (4, 6)


def test_reanchor_keeps_a_span_before_the_edit():
    assert reanchor("甲乙丙丁戊", "甲乙丙丁戊己庚", 1, 3) == (1, 3)


def test_reanchor_follows_the_edit_not_the_first_equal_words():
    old = "问题甲。问题乙。问题甲。"
    new = "问题甲。问题乙改。问题甲。"  # the span is the second 问题甲, after the edit
    assert reanchor(old, new, 8, 11) == (9, 12)


def test_reanchor_gives_up_when_the_words_are_gone():
    assert reanchor("经费保障不足", "经费基本到位", 0, 6) is None


def test_a_selected_problem_keeps_its_offsets_through_edits(meeting_setup, users):
    east = meeting_setup.east
    save_commentary(users.chair, east, TEXT, 0)
    start, end = span(TEXT, "党建经费保障不足")
    p = add_problem(users.chair, east, "", "resources", start=start, end=end, quote="党建经费保障不足")
    assert (p.start, p.end, p.text) == (start, end, "党建经费保障不足")
    ev = AuditEvent.objects.filter(action="meeting.problem_add").get()
    assert f"第 {start + 1}–{end} 字" in ev.summary and "阵地与经费保障" in ev.summary

    # Words typed before the span shift it.
    text2 = "总体评价：" + TEXT
    save_commentary(users.chair, east, text2, 1)
    p.refresh_from_db()
    assert text2[p.start:p.end] == "党建经费保障不足" and p.start == start + 5
    assert commentary.anchor_state(p) == "ok"

    # The quoted words edited away: kept, marked 原文已修改.
    text3 = text2.replace("党建经费保障不足", "经费问题")
    save_commentary(users.chair, east, text3, 2)
    p.refresh_from_db()
    assert commentary.anchor_state(p) == "lost" and p.text == "党建经费保障不足"
    row = commentary.problem_rows(Commentary.objects.get(participant=east))[0]
    assert row.where == "原文已修改"


def test_a_selection_from_an_older_text_is_found_again(meeting_setup, users):
    east = meeting_setup.east
    save_commentary(users.chair, east, TEXT, 0)
    start, end = span(TEXT, "软弱涣散村整顿进度慢")
    save_commentary(users.chair, east, "开头补充。" + TEXT, 1)  # saved between the selection and the click
    p = add_problem(users.chair, east, "软弱涣散村整顿进度慢", "organisation", start=start, end=end,
                    quote="软弱涣散村整顿进度慢")
    assert (p.start, p.end) == (start + 5, end + 5)


def test_a_selection_whose_words_are_gone_is_refused(meeting_setup, users):
    save_commentary(users.chair, meeting_setup.east, TEXT, 0)
    with pytest.raises(ValidationError, match="所选文字已被修改"):
        add_problem(users.chair, meeting_setup.east, "x", "style", start=0, end=4, quote="形式主义")


def test_a_typed_problem_has_no_offsets_and_needs_text_and_category(meeting_setup, users):
    p = add_problem(users.chair, meeting_setup.west, "  党员教育  流于形式 ", "members")
    assert (p.text, p.start, p.end) == ("党员教育 流于形式", None, None)
    assert commentary.anchor_state(p) == "typed"
    with pytest.raises(ValidationError, match="问题类别"):
        add_problem(users.chair, meeting_setup.west, "问题", "weather")
    with pytest.raises(ValidationError, match="请填写问题"):
        add_problem(users.chair, meeting_setup.west, " ", "members")


def test_update_and_delete_are_audited(meeting_setup, users):
    p = add_problem(users.chair, meeting_setup.east, "问题一", "style")
    commentary.update_problem(users.chair, meeting_setup.east, p.pk, "问题一（改）", "integrity")
    p.refresh_from_db()
    assert (p.text, p.category) == ("问题一（改）", "integrity")
    commentary.delete_problem(users.chair, meeting_setup.east, p.pk)
    assert not CommentaryProblem.objects.exists()
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("seq"))
    assert actions[-3:] == ["meeting.problem_add", "meeting.problem_update", "meeting.problem_delete"]


def test_a_problem_of_another_reporter_cannot_be_edited(meeting_setup, users):
    p = add_problem(users.chair, meeting_setup.east, "问题一", "style")
    with pytest.raises(ValidationError, match="不存在"):
        commentary.delete_problem(users.chair, meeting_setup.west, p.pk)


# --- hand-over to the ledger -------------------------------------------------------------------------

def test_problems_to_ledger_creates_entries_once_and_audits_once(meeting_setup, users):
    s = meeting_setup
    save_commentary(users.chair, s.east, TEXT, 0)
    start, end = span(TEXT, "党建经费保障不足")
    sel = add_problem(users.chair, s.east, "党建经费保障不足", "resources", start=start, end=end)
    typed = add_problem(users.chair, s.west, "网格化管理覆盖不全", "governance")

    entries = problems_to_ledger(users.organiser, s.meeting)
    assert len(entries) == 2
    e1 = LedgerEntry.objects.get(commentary_problem=sel)
    assert (e1.unit, e1.campaign, e1.problem, e1.category, e1.source) == (
        s.east.unit, s.campaign, "党建经费保障不足", "resources", Source.COMMENTARY)
    assert e1.source_ref == f"点评 第 {start + 1}–{end} 字"
    assert e1.source_link == f"/meetings/{s.meeting.pk}/chair/{s.east.pk}/"
    assert e1.deadline is None and e1.created_by == users.organiser
    e2 = LedgerEntry.objects.get(commentary_problem=typed)
    assert (e2.unit, e2.source_ref) == (s.west.unit, "点评")
    ev = AuditEvent.objects.filter(action="meeting.problems_to_ledger").get()
    assert ev.data["count"] == 2 and "2 个问题" in ev.summary

    assert problems_to_ledger(users.organiser, s.meeting) == []
    assert LedgerEntry.objects.count() == 2
    assert AuditEvent.objects.filter(action="meeting.problems_to_ledger").count() == 1


def test_a_handed_over_problem_is_changed_in_the_ledger_only(meeting_setup, users):
    p = add_problem(users.chair, meeting_setup.east, "问题一", "style")
    problems_to_ledger(users.organiser, meeting_setup.meeting)
    with pytest.raises(ValidationError, match="已转入整改台账"):
        commentary.update_problem(users.chair, meeting_setup.east, p.pk, "改", "style")
    with pytest.raises(ValidationError, match="已转入整改台账"):
        commentary.delete_problem(users.chair, meeting_setup.east, p.pk)


def test_a_problem_added_after_the_meeting_ended_goes_to_the_ledger_at_once(meeting_setup, users):
    m = meeting_setup.meeting
    m.state = MeetingState.ENDED
    m.save()
    p = add_problem(users.chair, meeting_setup.east, "会后补记的问题", "workforce")
    assert p.ledger_entry is not None and p.ledger_entry.problem == "会后补记的问题"


@pytest.mark.parametrize("who", ["judge", "reporter", "observer", "nobody"])
def test_only_organiser_or_chair_hand_problems_over(meeting_setup, users, who):
    add_problem(users.chair, meeting_setup.east, "问题一", "style")
    with pytest.raises(PermissionDenied):
        problems_to_ledger(getattr(users, who), meeting_setup.meeting)
    assert not LedgerEntry.objects.exists()


def test_reanchor_searches_nearest_when_the_edit_touches_the_span():
    old = "经费不足。经费不足。"
    new = "经费不足。经费严重不足。经费不足。"
    # The second 经费不足 (5–9) was edited into 经费严重不足; the nearest 经费不足 left is the one after it.
    assert reanchor(old, new, 5, 9) == (12, 16)


# --- concurrency (PostgreSQL) ------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_windows_saving_at_once_one_wins_the_other_is_warned(meeting_setup, users):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    out = race(6, lambda i: save_commentary(users.chair, meeting_setup.east, f"第 {i} 个窗口的点评", 0))
    saved = [r for r in out if isinstance(r, Commentary)]
    stale = [r for r in out if isinstance(r, StaleRevision)]
    assert len(saved) == 1 and len(stale) == 5, out
    c = Commentary.objects.get(participant=meeting_setup.east)
    assert (c.text, c.revision) == (saved[0].text, 1)
    assert {s.text for s in stale} == {c.text}
