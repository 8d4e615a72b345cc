"""现场评分 actions: panel, 回避, windows, sheets, reminders, progress, lock — what the organiser and judges see."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shuping.accounts.models import Role
from shuping.audit.log import verify
from shuping.audit.models import AuditEvent
from shuping.campaigns import actions as campaigns
from shuping.conftest import make_user
from shuping.results.models import ResultSheet, SheetState
from shuping.scoring import actions_judging as judging
from shuping.scoring.models import JudgeReminder, JudgeScore, JudgeSeat, Recusal, WindowState

GOOD = ["25", "30.5", "18", "9"]


def messages(exc: pytest.ExceptionInfo) -> list[str]:
    return exc.value.messages


# ---------------------------------------------------------------- panel


def test_set_panel_adds_and_removes_and_is_audited(users, meeting, judges):
    judging.set_panel(users.organiser, meeting, [judges.judge, judges.judge_b])
    assert set(JudgeSeat.objects.filter(campaign=meeting).values_list("user__username", flat=True)) == {"judge", "judge_b"}
    judging.set_panel(users.organiser, meeting, [judges.judge_b, judges.judge_east])
    assert set(JudgeSeat.objects.filter(campaign=meeting).values_list("user__username", flat=True)) == {
        "judge_b", "judge_east"}
    ev = AuditEvent.objects.filter(action="scoring.panel_set").order_by("-seq").first()
    assert ev.data["added"] == ["judge_east"] and ev.data["removed"] == ["judge"]
    assert "移出 judge" in ev.summary or "移出" in ev.summary


def test_only_judges_may_sit_on_the_panel(users, meeting):
    with pytest.raises(ValidationError) as e:
        judging.set_panel(users.organiser, meeting, [users.judge, users.teller])
    assert "没有“评委”角色" in messages(e)[0] and "teller" in messages(e)[0]
    with pytest.raises(ValidationError):
        judging.add_judge(users.organiser, meeting, users.observer)
    assert not JudgeSeat.objects.exists()


def test_only_organisers_set_the_panel(users, meeting):
    for who in (users.observer, users.chair, users.judge, users.nobody):
        with pytest.raises(PermissionDenied):
            judging.set_panel(who, meeting, [users.judge])
        with pytest.raises(PermissionDenied):
            judging.add_judge(who, meeting, users.judge)


def test_a_judge_who_scored_cannot_be_removed(users, meeting, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.west)
    judging.save_score(judges.judge_b, reporters.west, GOOD, submit=False)
    with pytest.raises(ValidationError) as e:
        judging.remove_judge(users.organiser, meeting, judges.judge_b)
    assert messages(e) == ["评委“评委乙”已有 1 份评分，不能移出评委名单"]
    with pytest.raises(ValidationError) as e:
        judging.set_panel(users.organiser, meeting, [judges.judge])
    assert messages(e) == ["以下评委已有评分，不能移出评委名单：评委乙"]
    assert JudgeSeat.objects.filter(campaign=meeting).count() == 3
    judging.remove_judge(users.organiser, meeting, judges.judge)  # has not scored
    assert JudgeSeat.objects.filter(campaign=meeting).count() == 2


def test_adding_twice_is_refused(users, meeting, panel, judges):
    with pytest.raises(ValidationError) as e:
        judging.add_judge(users.organiser, meeting, judges.judge)
    assert messages(e) == ["“judge”已在评委名单中"]


def test_panel_is_frozen_once_announced(users, meeting, judges):
    for to in ("tallying", "review", "announced"):
        campaigns.transition(users.organiser, meeting, to)
    meeting.refresh_from_db()
    with pytest.raises(ValidationError) as e:
        judging.add_judge(users.organiser, meeting, judges.judge)
    assert messages(e) == ["考核方案处于“已公布”状态，评委名单和回避已不能修改"]


# ---------------------------------------------------------------- 回避


def test_own_unit_recusal_is_automatic(meeting, reporters, panel, judges):
    assert judging.is_recused(judges.judge_east, reporters.east)
    assert not judging.is_recused(judges.judge_east, reporters.west)
    assert not judging.is_recused(judges.judge, reporters.east)
    names = [r.participant.unit.name for r in judging.judge_home(judges.judge_east, meeting)]
    assert names == ["西城街道党工委", "区教育局党委"]


def test_recused_judge_is_not_offered_the_reporter_and_cannot_save(users, meeting, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.east)
    with pytest.raises(ValidationError) as e:
        judging.save_score(judges.judge_east, reporters.east, GOOD, submit=True)
    assert messages(e) == ["您须对东城街道党工委（钱东明）回避，不能评分"]
    judging.add_recusal(users.organiser, meeting, judges.judge_b, reporters.east, "曾在该单位任职")
    assert [r.participant.unit.name for r in judging.judge_home(judges.judge_b, meeting)] == [
        "西城街道党工委", "区教育局党委"]
    with pytest.raises(ValidationError):
        judging.save_score(judges.judge_b, reporters.east, GOOD, submit=True)
    assert not JudgeScore.objects.exists()
    ev = AuditEvent.objects.get(action="scoring.recusal_add")
    assert "曾在该单位任职" in ev.summary and ev.data["judge"] == "judge_b"
    # Progress expects only the judge left for east.
    row = next(r for r in judging.progress(meeting) if r.participant == reporters.east)
    assert [u.username for u in row.expected] == ["judge"]
    assert {u.username for u in row.recused} == {"judge_east", "judge_b"}
    judging.remove_recusal(users.organiser, meeting, judges.judge_b, reporters.east)
    assert not Recusal.objects.exists()
    judging.save_score(judges.judge_b, reporters.east, GOOD, submit=True)


def test_recusal_rules(users, meeting, reporters, panel, judges):
    with pytest.raises(ValidationError) as e:
        judging.add_recusal(users.organiser, meeting, judges.judge_b, reporters.east, "  ")
    assert messages(e) == ["设置回避必须填写理由"]
    with pytest.raises(ValidationError) as e:
        judging.add_recusal(users.organiser, meeting, judges.judge_east, reporters.east, "同单位")
    assert messages(e) == ["“东城评委”与东城街道党工委（钱东明）是同一单位，已自动回避，无需再设"]
    outsider = make_user("judge_c", Role.JUDGE)
    with pytest.raises(ValidationError) as e:
        judging.add_recusal(users.organiser, meeting, outsider, reporters.east, "亲属")
    assert messages(e) == ["“judge_c”不在本考核方案的评委名单中"]
    judging.open_window(users.organiser, reporters.west)
    judging.save_score(judges.judge_b, reporters.west, GOOD, submit=False)
    with pytest.raises(ValidationError) as e:
        judging.add_recusal(users.organiser, meeting, judges.judge_b, reporters.west, "亲属")
    assert messages(e) == ["“评委乙”已对西城街道党工委（孙西华）评分，不能再设回避"]


# ---------------------------------------------------------------- windows


def test_window_moves(users, meeting, reporters, panel):
    w = judging.open_window(users.organiser, reporters.east)
    assert w.state == WindowState.OPEN and w.opened_at
    with pytest.raises(ValidationError) as e:
        judging.open_window(users.organiser, reporters.east)
    assert messages(e) == ["东城街道党工委（钱东明）的评分处于“评分中”状态，不能开始评分"]
    with pytest.raises(ValidationError) as e:
        judging.reopen_window(users.organiser, reporters.east, "漏评")
    assert "不能重新开放评分" in messages(e)[0]
    w = judging.close_window(users.organiser, reporters.east)
    assert w.state == WindowState.CLOSED and w.closed_at
    with pytest.raises(ValidationError) as e:
        judging.reopen_window(users.organiser, reporters.east, "")
    assert messages(e) == ["重新开放评分必须填写理由"]
    w = judging.reopen_window(users.organiser, reporters.east, "评委手机故障未能提交")
    assert w.state == WindowState.OPEN
    ev = AuditEvent.objects.filter(action="scoring.window_reopen").get()
    assert ev.data["reason"] == "评委手机故障未能提交" and "理由：评委手机故障未能提交" in ev.summary
    with pytest.raises(ValidationError) as e:
        judging.close_window(users.organiser, reporters.west)
    assert messages(e) == ["西城街道党工委（孙西华）的评分处于“未开始”状态，不能结束评分"]


def test_written_reporters_get_a_window_too(users, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.edu)
    s = judging.save_score(judges.judge, reporters.edu, ["20", "30", "15", "5"], submit=True)
    assert s.total == Decimal("70.00")


def test_windows_only_in_meeting_or_tallying(users, district, judges):
    import datetime

    c = campaigns.create_campaign(users.organiser, year=2024, title="2024年度述职评议", committee=district.root,
                                  meeting_date=datetime.date(2025, 1, 20))
    p = campaigns.add_participant(users.organiser, c, district.west)
    judging.set_panel(users.organiser, c, [judges.judge])  # the panel may be set up in advance
    with pytest.raises(ValidationError) as e:
        judging.open_window(users.organiser, p)
    assert messages(e) == ["考核方案处于“草拟”状态，不能开始评分（只能在“会议中”、“统分中”状态下进行）"]
    campaigns.transition(users.organiser, c, "published")
    campaigns.transition(users.organiser, c, "meeting")
    judging.open_window(users.organiser, p)
    campaigns.transition(users.organiser, c, "tallying")
    judging.save_score(judges.judge, p, GOOD, submit=True)  # scoring may continue while tallying
    campaigns.transition(users.organiser, c, "review")
    with pytest.raises(ValidationError) as e:
        judging.save_score(judges.judge, p, GOOD, submit=True)
    assert "考核方案处于“审核中”状态，不能评分" in messages(e)[0]


def test_opening_needs_a_panel(users, reporters):
    with pytest.raises(ValidationError) as e:
        judging.open_window(users.organiser, reporters.east)
    assert messages(e) == ["评委名单为空，请先设置评委再开始评分"]


def test_only_organisers_move_windows(users, reporters, panel, judges):
    for who in (users.observer, users.chair, judges.judge, users.reporter, users.nobody):
        with pytest.raises(PermissionDenied):
            judging.open_window(who, reporters.east)


# ---------------------------------------------------------------- sheets


def test_save_then_submit_then_change_until_closed(users, meeting, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.west)
    s = judging.save_score(judges.judge, reporters.west, ["25", "30.5", "18", "9"], submit=False)
    assert s.total == Decimal("82.50") and s.submitted_at is None and s.points == ["25", "30.5", "18", "9"]
    s = judging.save_score(judges.judge, reporters.west, ["26", "30.5", "18", "9"], submit=True)
    first = s.submitted_at
    assert first is not None and s.total == Decimal("83.50")
    s = judging.save_score(judges.judge, reporters.west, ["26.25", "31", "18", "9"], submit=False)
    assert s.submitted_at == first and s.total == Decimal("84.25")  # stays submitted, first time kept
    assert JudgeScore.objects.count() == 1
    judging.close_window(users.organiser, reporters.west)
    with pytest.raises(ValidationError) as e:
        judging.save_score(judges.judge, reporters.west, GOOD, submit=True)
    assert messages(e) == ["西城街道党工委（孙西华）的评分已结束，不能保存"]
    assert JudgeScore.objects.get().total == Decimal("84.25")
    events = AuditEvent.objects.filter(action__startswith="scoring.score_").order_by("seq")
    assert [e.action for e in events] == ["scoring.score_save", "scoring.score_submit", "scoring.score_save"]
    assert events[0].data["points"] == ["25", "30.5", "18", "9"] and events[0].data["total"] == "82.50"
    assert events[2].data["before"] == ["26", "30.5", "18", "9"]
    assert verify().ok


def test_no_save_before_the_window_opens(reporters, panel, judges):
    with pytest.raises(ValidationError) as e:
        judging.save_score(judges.judge, reporters.east, GOOD, submit=False)
    assert messages(e) == ["东城街道党工委（钱东明）的评分尚未开始，不能保存"]


@pytest.mark.parametrize("points, expected", [
    (["31", "30", "18", "9"], ["“述职内容”的得分应在 0 到 30 分之间，当前为 31"]),
    (["-1", "30", "18", "9"], ["“述职内容”的得分应在 0 到 30 分之间，当前为 -1"]),
    (["25", "abc", "18", "9"], ["“工作成效”的得分“abc”不是有效的数字"]),
    (["25", "30", "18.123", "9"], ["“问题查摆与整改”的得分“18.123”最多保留两位小数"]),
    (["25", "30", "18", ""], ["请填写“现场表现”的得分"]),
    (["25", "30", "18", "NaN"], ["“现场表现”的得分“NaN”不是有效的数字"]),
    (["25", "30", "18"], ["应填写 4 项指标的得分，实际收到 3 项"]),
    (["40", "x", "18", ""], ["“述职内容”的得分应在 0 到 30 分之间，当前为 40", "“工作成效”的得分“x”不是有效的数字",
                            "请填写“现场表现”的得分"]),
])
def test_points_are_checked_with_messages_naming_the_indicator(users, reporters, panel, judges, points, expected):
    judging.open_window(users.organiser, reporters.west)
    with pytest.raises(ValidationError) as e:
        judging.save_score(judges.judge, reporters.west, points, submit=True)
    assert messages(e) == expected
    assert not JudgeScore.objects.exists()


def test_edge_values_are_exact(users, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.west)
    s = judging.save_score(judges.judge, reporters.west, ["30.00", "0", "19.99", Decimal("0.01")], submit=True)
    assert s.points == ["30.00", "0", "19.99", "0.01"] and s.total == Decimal("50.00")
    s.refresh_from_db()
    assert s.total == Decimal("50.00")


def test_only_seated_judges_score(users, reporters, panel):
    judging.open_window(users.organiser, reporters.west)
    outsider = make_user("judge_c", Role.JUDGE)
    with pytest.raises(PermissionDenied):
        judging.save_score(outsider, reporters.west, GOOD, submit=True)
    for who in (users.organiser, users.observer, users.reporter):
        with pytest.raises(PermissionDenied):
            judging.save_score(who, reporters.west, GOOD, submit=True)


# ---------------------------------------------------------------- the lock


@pytest.mark.parametrize("state", [SheetState.SUBMITTED, SheetState.PUBLISHED])
def test_a_locked_result_sheet_freezes_everything(users, meeting, reporters, panel, judges, state):
    judging.open_window(users.organiser, reporters.west)
    judging.open_window(users.organiser, reporters.edu)
    judging.save_score(judges.judge, reporters.west, GOOD, submit=True)
    ResultSheet.objects.create(campaign=meeting, state=state, input_digest="x", computed_at=timezone.now(),
                               computed_by=users.organiser)
    meeting.refresh_from_db()
    attempts = [
        lambda: judging.save_score(judges.judge, reporters.west, GOOD, submit=True),
        lambda: judging.close_window(users.organiser, reporters.west),
        lambda: judging.open_window(users.organiser, reporters.east),
        lambda: judging.add_judge(users.organiser, meeting, make_user("judge_c", Role.JUDGE)),
        lambda: judging.remove_judge(users.organiser, meeting, judges.judge_b),
        lambda: judging.add_recusal(users.organiser, meeting, judges.judge_b, reporters.east, "亲属"),
        lambda: judging.remind_missing(users.organiser, reporters.west),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as e:
            attempt()
        assert messages(e) == ["考核结果已提交审核/公布，评分已锁定"]
    assert JudgeScore.objects.get().points == GOOD


def test_a_computed_but_unsubmitted_sheet_does_not_lock(users, meeting, reporters, panel, judges):
    ResultSheet.objects.create(campaign=meeting, state=SheetState.COMPUTED, input_digest="x",
                               computed_at=timezone.now(), computed_by=users.organiser)
    meeting.refresh_from_db()
    judging.open_window(users.organiser, reporters.west)
    score = judging.save_score(judges.judge, reporters.west, GOOD, submit=True)
    stored = JudgeScore.objects.get(pk=score.pk)
    assert stored.participant == reporters.west and stored.points == GOOD and stored.submitted_at is not None


# ---------------------------------------------------------------- reminders and progress


def test_remind_missing_for_one_reporter(users, meeting, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.east)
    judging.save_score(judges.judge, reporters.east, GOOD, submit=True)
    judging.save_score(judges.judge_b, reporters.east, GOOD, submit=False)  # saved is not submitted
    reminded = judging.remind_missing(users.organiser, reporters.east)
    assert [u.username for u in reminded] == ["judge_b"]  # judge_east is recused from east
    r = JudgeReminder.objects.get()
    assert r.judge == judges.judge_b and r.message == "请尽快提交对东城街道党工委（钱东明）的评分"
    ev = AuditEvent.objects.get(action="scoring.remind")
    assert ev.data["judges"] == ["judge_b"]
    judging.save_score(judges.judge_b, reporters.east, GOOD, submit=True)
    assert judging.remind_missing(users.organiser, reporters.east) == []
    with pytest.raises(ValidationError) as e:
        judging.remind_missing(users.organiser, reporters.west)
    assert messages(e) == ["西城街道党工委（孙西华）的评分不在进行中，无需提醒"]


def test_remind_missing_for_all_open_windows(users, meeting, reporters, panel, judges):
    with pytest.raises(ValidationError) as e:
        judging.remind_missing(users.organiser, meeting)
    assert messages(e) == ["当前没有正在进行的评分，无需提醒"]
    judging.open_window(users.organiser, reporters.east)
    judging.open_window(users.organiser, reporters.west)
    judging.save_score(judges.judge, reporters.east, GOOD, submit=True)
    reminded = judging.remind_missing(users.organiser, meeting)
    assert [u.username for u in reminded] == ["judge", "judge_b", "judge_east"]
    msgs = dict(JudgeReminder.objects.values_list("judge__username", "message"))
    assert msgs["judge"] == "请尽快提交对西城街道党工委（孙西华）的评分"
    assert msgs["judge_b"] == "请尽快提交对东城街道党工委（钱东明）、西城街道党工委（孙西华）的评分"
    assert judging.mark_reminders_seen(judges.judge_b, meeting) == 1
    with pytest.raises(PermissionDenied):
        judging.remind_missing(users.observer, meeting)


def test_progress_per_reporter(users, meeting, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.east)
    judging.save_score(judges.judge, reporters.east, GOOD, submit=True)
    judging.save_score(judges.judge_b, reporters.east, GOOD, submit=False)
    rows = judging.progress(meeting)
    assert [r.participant.unit.name for r in rows] == ["东城街道党工委", "西城街道党工委", "区教育局党委"]
    east, west, edu = rows
    assert (east.window, east.submitted, len(east.expected), east.saved, east.missing_names) == (
        "open", 1, 2, 1, ["评委乙"])
    assert (west.window, west.submitted, len(west.expected), west.missing_names) == (
        "pending", 0, 3, ["judge", "评委乙", "东城评委"])
    assert edu.window_label == "未开始"


def test_judge_home_in_speaking_order_with_sheet_status(users, meeting, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.west)
    judging.save_score(judges.judge, reporters.west, GOOD, submit=False)
    rows = judging.judge_home(judges.judge, meeting)
    assert [(r.participant.unit.name, r.window, r.status) for r in rows] == [
        ("东城街道党工委", "pending", "未评分"), ("西城街道党工委", "open", "已保存，未提交"),
        ("区教育局党委", "pending", "未评分")]
    assert [r.speaking for r in rows] == [False, True, False]
