"""Meeting actions: the countdown with a fixed clock, overruns, the course of the meeting, agenda changes,
undo (restores exactly, refuses what cannot be taken back), refused moves in Chinese, audit events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuping.audit.models import AuditEvent
from shuping.ballots.models import BoxState
from shuping.campaigns.models import CampaignState
from shuping.meetings import actions as a
from shuping.meetings.models import AgendaItem, Meeting, MeetingAction, Phase, TimerState
from shuping.scoring.models import ScoringWindow, WindowState

T0 = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def item_fields(it: AgendaItem) -> dict:
    return {f: getattr(it, f) for f in a.ITEM_FIELDS}


def meeting_fields(m: Meeting) -> dict:
    return {f: getattr(m, f) for f in a.MEETING_FIELDS}


@pytest.fixture
def running(meeting_setup, users):
    a.start_meeting(users.organiser, meeting_setup.meeting, now=at(0))
    return meeting_setup


def test_start_meeting_makes_the_first_item_current(meeting_setup, users):
    s = meeting_setup
    m = a.start_meeting(users.organiser, s.meeting, now=at(0))
    assert m.state == "running" and m.started_at == T0 and m.current_id == s.items[0].pk
    assert m.version == 2
    with pytest.raises(ValidationError, match="不能再开始"):
        a.start_meeting(users.organiser, s.meeting)


def test_start_meeting_moves_a_published_campaign_to_meeting(meeting_setup, users):
    s = meeting_setup
    s.campaign.state = CampaignState.PUBLISHED
    s.campaign.save()
    a.start_meeting(users.organiser, s.meeting, now=at(0))
    assert fresh(s.campaign).state == CampaignState.MEETING
    assert AuditEvent.objects.filter(action="campaign.transition").exists()


def test_start_meeting_refused_for_a_campaign_past_the_meeting(meeting_setup, users):
    s = meeting_setup
    s.campaign.state = CampaignState.TALLYING
    s.campaign.save()
    with pytest.raises(ValidationError, match=r"统分中.*不能开始述职评议会"):
        a.start_meeting(users.organiser, s.meeting)


def test_countdown_arithmetic_with_a_fixed_clock(running, users):
    org, east = users.organiser, running.items[0]
    it = a.start_timer(org, east, now=at(10))
    assert it.timer_state == TimerState.RUNNING and it.phase == Phase.SPEAKING
    assert it.timer_ends_at == at(10 + 360) and it.started_at == at(10)
    it = a.pause_timer(org, east, now=at(70.5))
    assert it.timer_state == TimerState.PAUSED and it.timer_ends_at is None
    assert it.timer_remaining_ms == 299_500 and it.used_ms == 60_500
    it = a.resume_timer(org, east, now=at(100))  # the pause does not count
    assert it.timer_ends_at == at(100 + 299.5) and it.timer_remaining_ms is None
    it = a.extend_timer(org, east, now=at(110))
    assert it.planned_seconds == 420 and it.timer_ends_at == at(100 + 299.5 + 60)
    assert a.remaining_ms(it, at(110)) == 349_500
    it = a.stop_timer(org, east, now=at(200))
    assert it.timer_state == TimerState.STOPPED and it.used_ms == 160_500 and it.overrun_ms == 0
    assert it.timer_remaining_ms == 420_000 - 160_500


def test_extend_while_paused_adds_to_the_remaining_time(running, users):
    org, east = users.organiser, running.items[0]
    a.start_timer(org, east, now=at(0))
    a.pause_timer(org, east, now=at(300))
    it = a.extend_timer(org, east, seconds=30, now=at(400))
    assert it.timer_remaining_ms == 90_000 and it.planned_seconds == 390


def test_overrun_is_recorded_when_the_speech_ends(running, users):
    org, east = users.organiser, running.items[0]
    a.start_timer(org, east, now=at(0))
    a.pause_timer(org, east, now=at(370))  # paused 10 s over time: remaining is negative
    assert fresh(east).timer_remaining_ms == -10_000
    a.resume_timer(org, east, now=at(500))
    it = a.to_commentary(org, east, now=at(505))
    assert it.phase == Phase.COMMENTING and it.timer_state == TimerState.STOPPED
    assert it.used_ms == 375_000 and it.overrun_ms == 15_000
    assert "超时 0:15" in MeetingAction.objects.get(kind="commentary").summary


def test_next_item_stops_a_running_timer_and_records_the_overrun(running, users):
    org, (east, west) = users.organiser, running.items[:2]
    a.start_timer(org, east, now=at(0))
    nxt = a.next_item(org, running.meeting, now=at(400))
    assert nxt is not None and nxt.pk == west.pk
    e = fresh(east)
    assert e.phase == Phase.DONE and e.overrun_ms == 40_000 and e.ended_at == at(400)
    assert fresh(running.meeting).current_id == west.pk
    assert "超时 0:40" in MeetingAction.objects.get(kind="next").summary


def test_absent_reporter_without_substitute_is_skipped(running, users):
    org, (west, vote_item) = users.organiser, running.items[1:3]
    a.mark_absent(org, west, True, note="因公出差")
    nxt = a.next_item(org, running.meeting, now=at(10))
    assert nxt is not None and nxt.pk == vote_item.pk
    assert fresh(west).phase == Phase.WAITING
    with pytest.raises(ValidationError, match="已登记缺席且无人代述职"):
        a.go_to(org, west)


def test_substitute_reports_in_place_of_the_absent_reporter(running, users):
    org, west = users.organiser, running.items[1]
    it = a.mark_absent(org, west, True, substitute="王副书记", note="书记住院")
    assert it.absent and it.substitute == "王副书记" and it.substitute_note == "书记住院"
    nxt = a.next_item(org, running.meeting)
    assert nxt is not None and nxt.pk == west.pk
    ev = AuditEvent.objects.get(action="meeting.absent")
    assert "由王副书记代述职" in ev.summary


def test_absence_refused_once_the_report_started(running, users):
    org, east = users.organiser, running.items[0]
    a.start_timer(org, east, now=at(0))
    with pytest.raises(ValidationError, match="已开始或已结束，不能再登记缺席"):
        a.mark_absent(org, east, True)
    with pytest.raises(ValidationError, match="只有述职议程可以登记缺席"):
        a.mark_absent(org, running.items[2], True)


def test_illegal_timer_moves_are_refused_in_chinese(running, users):
    org, (east, west) = users.organiser, running.items[:2]
    with pytest.raises(ValidationError, match="计时未计时，不能暂停"):
        a.pause_timer(org, east)
    with pytest.raises(ValidationError, match="不能转入点评"):
        a.to_commentary(org, east)
    with pytest.raises(ValidationError, match="不是当前议程"):
        a.start_timer(org, west)
    a.start_timer(org, east, now=at(0))
    with pytest.raises(ValidationError, match="不能重新开始"):
        a.start_timer(org, east, now=at(1))
    with pytest.raises(ValidationError, match="计时计时中，不能继续"):
        a.resume_timer(org, east)
    a.stop_timer(org, east, now=at(5))
    with pytest.raises(ValidationError, match="计时已停止，不能延长"):
        a.extend_timer(org, east)
    with pytest.raises(ValidationError, match="每次延长"):
        a.extend_timer(org, east, seconds=0)


def test_timer_refused_before_the_meeting_starts(meeting_setup, users):
    with pytest.raises(ValidationError, match="会议尚未开始"):
        a.start_timer(users.organiser, meeting_setup.items[0])


def test_go_to_refuses_done_and_current_items(running, users):
    org, (east, west) = users.organiser, running.items[:2]
    with pytest.raises(ValidationError, match="已是当前议程"):
        a.go_to(org, east)
    a.go_to(org, west)
    assert fresh(east).phase == Phase.DONE
    with pytest.raises(ValidationError, match="已结束，不能再转到"):
        a.go_to(org, east)


def test_next_after_the_last_item_and_then_end(running, users, monkeypatch):
    org, m = users.organiser, running.meeting
    for _ in range(4):
        a.next_item(org, m)
    assert fresh(m).current_id is None
    with pytest.raises(ValidationError, match="议程已全部完成"):
        a.next_item(org, m)
    calls = []
    monkeypatch.setattr("shuping.meetings.commentary.problems_to_ledger", lambda actor, meeting: calls.append(
        meeting.pk), raising=False)
    ended = a.end_meeting(org, m, now=at(3600))
    assert ended.state == "ended" and ended.ended_at == at(3600) and calls == [m.pk]
    with pytest.raises(ValidationError, match="会议已结束"):
        a.next_item(org, m)
    with pytest.raises(ValidationError, match="不能撤销：会议已结束"):
        a.undo_last(org, m)


# ---------------------------------------------------------------- agenda


def test_move_item_up_and_down(meeting_setup, users):
    org, (east, west) = users.organiser, meeting_setup.items[:2]
    a.move_item(org, west, "up")
    assert [fresh(west).position, fresh(east).position] == [1, 2]
    with pytest.raises(ValidationError, match="已在最前面"):
        a.move_item(org, west, "up")
    last = meeting_setup.items[-1]
    with pytest.raises(ValidationError, match="已在最后面"):
        a.move_item(org, last, "down")
    a.move_item(org, west, position=3)
    assert list(AgendaItem.objects.filter(meeting=meeting_setup.meeting).values_list("pk", flat=True)) == [
        east.pk, meeting_setup.items[2].pk, west.pk, last.pk]


def test_move_refused_past_a_started_item(running, users):
    org, west = users.organiser, running.items[1]
    with pytest.raises(ValidationError, match="已开始或已结束，不能调整"):
        a.move_item(org, west, "up")


def test_add_and_remove_other_items(meeting_setup, users):
    org, m = users.organiser, meeting_setup.meeting
    it = a.add_item(org, m, "宣读上年度整改情况通报", minutes=5)
    kinds = list(AgendaItem.objects.filter(meeting=m).values_list("kind", "position"))
    assert kinds == [("report", 1), ("report", 2), ("vote", 3), ("other", 4), ("closing", 5)]
    assert it.planned_seconds == 300
    with pytest.raises(ValidationError, match="不能删除"):
        a.remove_item(org, meeting_setup.items[0])
    with pytest.raises(ValidationError, match="请填写议程名称"):
        a.add_item(org, m, "  ")
    a.remove_item(org, it)
    assert list(AgendaItem.objects.filter(meeting=m).values_list("position", flat=True)) == [1, 2, 3, 4]


def test_set_options(meeting_setup, users):
    m = a.set_options(users.organiser, meeting_setup.meeting, show_ranking=True, show_judges=False, attendees=86,
                      attendance_note="应到 90 人，实到 86 人")
    m = fresh(m)
    assert (m.show_ranking, m.show_judges, m.attendees, m.version) == (True, False, 86, 2)
    assert "参会 86 人" in AuditEvent.objects.get(action="meeting.options").summary


# ---------------------------------------------------------------- judges and the vote


def test_open_and_close_scoring_move_the_judges_window(running, users):
    org, east = users.organiser, running.items[0]
    v = fresh(running.meeting).version
    a.open_scoring(org, east)
    assert ScoringWindow.objects.get(participant=running.east).state == WindowState.OPEN
    assert fresh(running.meeting).version == v + 1
    with pytest.raises(ValidationError, match=r"评分中.*不能开始评分"):
        a.open_scoring(org, east)
    a.close_scoring(org, east)
    assert ScoringWindow.objects.get(participant=running.east).state == WindowState.CLOSED
    with pytest.raises(ValidationError, match="只有述职议程"):
        a.open_scoring(org, running.items[2])


def test_open_and_close_vote(running, users):
    org, vote_item = users.organiser, running.items[2]
    with pytest.raises(ValidationError, match="不是当前议程"):
        a.open_vote(org, vote_item)
    a.go_to(org, vote_item)
    it = a.open_vote(org, vote_item, now=at(50))
    assert fresh(running.box).state == BoxState.OPEN and it.phase == Phase.SPEAKING
    a.close_vote(org, vote_item)
    assert fresh(running.box).state == BoxState.CLOSED
    a.undo_last(org, running.meeting)  # close_vote: the box opens again
    assert fresh(running.box).state == BoxState.OPEN
    with pytest.raises(ValidationError, match="不能撤销：测评人员可能已开始投票"):
        a.undo_last(org, running.meeting)
    with pytest.raises(ValidationError, match="只有民主测评议程"):
        a.open_vote(org, running.items[0])


# ---------------------------------------------------------------- undo


def test_undo_restores_exactly_step_by_step(running, users):
    org, m, (east, west) = users.organiser, running.meeting, running.items[:2]
    snapshots = []

    def snap():
        snapshots.append(([item_fields(x) for x in AgendaItem.objects.filter(meeting=m).order_by("pk")],
                          meeting_fields(fresh(m))))

    snap()
    a.start_timer(org, east, now=at(0))
    snap()
    a.pause_timer(org, east, now=at(100))
    snap()
    a.extend_timer(org, east, now=at(110))
    snap()
    a.resume_timer(org, east, now=at(120))
    snap()
    a.to_commentary(org, east, now=at(500))
    snap()
    a.mark_absent(org, west, True, substitute="王副书记")
    snap()
    a.move_item(org, running.items[2], "down")
    snap()
    a.next_item(org, m, now=at(600))
    snap()
    undone = []
    while len(snapshots) > 1:
        snapshots.pop()
        undone.append(a.undo_last(org, m, now=at(700)).kind)
        assert ([item_fields(x) for x in AgendaItem.objects.filter(meeting=m).order_by("pk")],
                meeting_fields(fresh(m))) == snapshots[-1]
    assert undone == ["next", "move", "absent", "commentary", "resume_timer", "extend_timer", "pause_timer",
                      "start_timer"]
    assert AuditEvent.objects.filter(action="meeting.undo").count() == 8
    assert "撤销：" in AuditEvent.objects.filter(action="meeting.undo").last().summary  # type: ignore[union-attr]
    # start_meeting can be undone too (the campaign stays 会议中); then nothing is left
    a.undo_last(org, m)
    assert fresh(m).state == "planned" and fresh(m).current_id is None
    with pytest.raises(ValidationError, match="没有可以撤销的操作"):
        a.undo_last(org, m)


def test_undo_of_add_and_remove_item(meeting_setup, users):
    org, m = users.organiser, meeting_setup.meeting
    before = [item_fields(x) for x in AgendaItem.objects.filter(meeting=m).order_by("pk")]
    it = a.add_item(org, m, "宣读通报", position=1)
    a.undo_last(org, m)
    assert [item_fields(x) for x in AgendaItem.objects.filter(meeting=m).order_by("pk")] == before
    it = a.add_item(org, m, "宣读通报", position=2)
    with_item = [item_fields(x) for x in AgendaItem.objects.filter(meeting=m).order_by("pk")]
    a.remove_item(org, it)
    assert not AgendaItem.objects.filter(pk=it.pk).exists()
    a.undo_last(org, m)
    assert [item_fields(x) for x in AgendaItem.objects.filter(meeting=m).order_by("pk")] == with_item


def test_undo_of_close_scoring_reopens_the_window_but_open_cannot_be_undone(running, users):
    org, east = users.organiser, running.items[0]
    a.open_scoring(org, east)
    with pytest.raises(ValidationError, match="不能撤销：评委可能已开始评分"):
        a.undo_last(org, running.meeting)
    a.close_scoring(org, east)
    a.undo_last(org, running.meeting)
    assert ScoringWindow.objects.get(participant=running.east).state == WindowState.OPEN
    assert AuditEvent.objects.filter(action="scoring.window_reopen", summary__contains="撤销误操作").exists()


def test_every_action_is_audited_logged_and_bumps_the_version(running, users):
    org, m, east = users.organiser, running.meeting, running.items[0]
    v = fresh(m).version
    a.start_timer(org, east, now=at(0))
    a.pause_timer(org, east, now=at(1))
    a.undo_last(org, m)
    assert fresh(m).version == v + 3
    assert list(MeetingAction.objects.filter(meeting=m).values_list("seq", "kind", "undone")) == [
        (1, "start_meeting", False), (2, "start_timer", False), (3, "pause_timer", True)]
    actions = list(AuditEvent.objects.filter(action__startswith="meeting.").values_list("action", flat=True))
    assert actions == ["meeting.create", "meeting.start_meeting", "meeting.start_timer", "meeting.pause_timer",
                       "meeting.undo"]
    ev = AuditEvent.objects.get(action="meeting.start_timer")
    assert ev.actor == "organiser" and "开始计时（6:00）" in ev.summary


@pytest.mark.parametrize("who", ["observer", "chair", "judge", "reporter", "nobody"])
def test_only_organisers_run_the_meeting(meeting_setup, users, who):
    with pytest.raises(PermissionDenied):
        a.start_meeting(getattr(users, who), meeting_setup.meeting)
    with pytest.raises(PermissionDenied):
        a.move_item(getattr(users, who), meeting_setup.items[1], "up")


def test_perform_dispatches_by_name(running, users):
    org, m, east = users.organiser, running.meeting, running.items[0]
    a.perform(org, m, "start_timer", {"item": east.pk}, now=at(0))
    a.perform(org, m, "extend_timer", {"item": str(east.pk), "seconds": "30"}, now=at(1))
    assert fresh(east).planned_seconds == 390
    with pytest.raises(ValidationError, match="未知的操作"):
        a.perform(org, m, "explode", {})
    with pytest.raises(ValidationError, match="请指定议程"):
        a.perform(org, m, "pause_timer", {})
