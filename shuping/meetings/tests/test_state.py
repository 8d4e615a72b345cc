"""build_state: the contract's keys and values at each stage of a meeting, and what changes the ETag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shuping.ballots.casting import cast
from shuping.ballots.models import BallotToken
from shuping.meetings import actions as a
from shuping.meetings.state import build_state
from shuping.meetings.views_screen import state_etag
from shuping.scoring import actions_judging as judging

T0 = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
T0_MS = 1764579600000


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_planned_meeting(meeting_setup):
    s = build_state(meeting_setup.meeting, now=T0)
    assert set(s) == {"server_now", "meeting", "agenda", "current", "vote", "judges", "ranking"}
    assert s["server_now"] == T0_MS
    assert s["meeting"] == {"id": meeting_setup.meeting.pk, "title": "2025年度述职评议", "state": "planned",
                            "state_label": "未开始"}
    assert [(x["position"], x["kind"], x["section"], x["phase"], x["phase_label"]) for x in s["agenda"]] == [
        (1, "report", "议程一", "waiting", "未开始"), (2, "report", "议程一", "waiting", "未开始"),
        (3, "vote", "议程二", "waiting", "未开始"), (4, "closing", "议程三", "waiting", "未开始")]
    first = s["agenda"][0]
    assert set(first) == {"id", "position", "kind", "title", "section", "phase", "phase_label", "absent",
                          "substitute", "current", "overrun_ms"}
    assert first["title"] == "东城街道党工委（钱东明）述职" and first["current"] is False
    assert s["current"] is None and s["vote"] is None and s["judges"] is None and s["ranking"] is None


def test_running_countdown_and_judges(meeting_setup, users):
    org, m, east = users.organiser, meeting_setup.meeting, meeting_setup.items[0]
    a.start_meeting(org, m, now=at(0))
    s = build_state(m, now=at(1))
    cur = s["current"]
    assert cur == {"id": east.pk, "kind": "report", "title": "东城街道党工委（钱东明）述职", "phase": "waiting",
                   "phase_label": "未开始", "unit": "东城街道党工委", "secretary": "钱东明", "mode_label": "现场述职",
                   "substitute": "", "position_text": "第 1 位 / 共 2 位",
                   "timer": {"state": "idle", "planned_ms": 360_000, "ends_at": None, "remaining_ms": 360_000,
                             "overrun_ms": None}}
    assert s["judges"] == {"window": "pending", "window_label": "未开始", "submitted": 0, "expected": 3}
    a.start_timer(org, east, now=at(10))
    s = build_state(m, now=at(20))
    assert s["current"]["timer"] == {"state": "running", "planned_ms": 360_000, "ends_at": T0_MS + 370_000,
                                     "remaining_ms": None, "overrun_ms": None}
    assert s["current"]["phase_label"] == "述职中" and s["agenda"][0]["current"] is True
    a.pause_timer(org, east, now=at(70))
    assert build_state(m, now=at(80))["current"]["timer"]["remaining_ms"] == 300_000
    a.resume_timer(org, east, now=at(90))
    a.to_commentary(org, east, now=at(500))  # spoke 60 s + 410 s = 470 s: 110 s over
    s = build_state(m, now=at(501))
    assert s["current"]["phase_label"] == "点评中"
    assert s["current"]["timer"] == {"state": "stopped", "planned_ms": 360_000, "ends_at": None,
                                     "remaining_ms": -110_000, "overrun_ms": 110_000}
    a.next_item(org, m, now=at(600))
    s = build_state(m, now=at(601))
    assert s["agenda"][0]["overrun_ms"] == 110_000 and s["agenda"][0]["phase_label"] == "已结束"
    assert s["current"]["position_text"] == "第 2 位 / 共 2 位"


def test_judges_hidden_from_the_hall_unless_shown_but_always_on_the_control_screen(meeting_setup, users):
    org, m = users.organiser, meeting_setup.meeting
    a.start_meeting(org, m)
    a.set_options(org, m, show_ranking=False, show_judges=False)
    assert build_state(m)["judges"] is None
    staff = build_state(m, staff=True)
    assert staff["judges"]["expected"] == 3
    assert staff["control"]["undo"]["summary"].startswith("会议设置")


def test_judges_count_ranking_and_etag(meeting_setup, users):
    org, m, (east, west) = users.organiser, meeting_setup.meeting, meeting_setup.items[:2]
    a.start_meeting(org, m)
    a.set_options(org, m, show_ranking=True, show_judges=True)
    a.open_scoring(org, east)
    before = build_state(m)
    assert before["ranking"] == []
    j1, j2, j3 = meeting_setup.judges
    judging.save_score(j1, meeting_setup.east, ["30", "40", "20", "0"], submit=True)  # 90
    after = build_state(m)
    assert state_etag(after) != state_etag(before)  # no meeting action, yet the screens must redraw
    assert after["judges"]["submitted"] == 1
    judging.save_score(j2, meeting_setup.east, ["30", "40", "10", "5"], submit=True)  # 85
    judging.save_score(j3, meeting_setup.east, ["30", "40", "20", "10"], submit=False)  # saved only
    a.close_scoring(org, east)
    a.next_item(org, m)
    a.open_scoring(org, west)
    judging.save_score(j1, meeting_setup.west, ["30", "40", "10", "7.5"], submit=True)  # 87.5
    # east: (90 + 85) / 2 (too few judges to drop any), the unsubmitted sheet left out; west: 87.5 → a shared rank
    assert build_state(m)["ranking"] == [{"rank": 1, "unit": "东城街道党工委", "score_display": "87.50"},
                                         {"rank": 1, "unit": "西城街道党工委", "score_display": "87.50"}]
    judging.save_score(j2, meeting_setup.west, ["30", "40", "20", "10"], submit=True)  # 100 → west (187.5/2) first
    assert [(r["rank"], r["unit"], r["score_display"]) for r in build_state(m)["ranking"]] == [
        (1, "西城街道党工委", "93.75"), (2, "东城街道党工委", "87.50")]


def test_vote_turnout(meeting_setup, users):
    org, m, vote_item = users.organiser, meeting_setup.meeting, meeting_setup.items[2]
    a.start_meeting(org, m)
    a.go_to(org, vote_item)
    s = build_state(m)
    assert s["current"]["position_text"] == "议程二" and s["judges"] is None
    assert s["vote"] == {"box_state": "setup", "url": "http://127.0.0.1:8000/v/",
                         "groups": [{"name": "区委领导", "issued": 10, "used": 0},
                                    {"name": "领导小组成员", "issued": 10, "used": 0}, *s["vote"]["groups"][2:]],
                         "issued": 20, "used": 0}
    a.open_vote(org, vote_item)
    before = state_etag(build_state(m))
    token = BallotToken.objects.filter(box=meeting_setup.box, group=0).first()
    assert token is not None
    cast(token, "phone", "123", nonce="n")
    s = build_state(m)
    assert s["vote"]["used"] == 1 and s["vote"]["groups"][0]["used"] == 1 and s["current"]["phase_label"] == "投票中"
    assert state_etag(s) != before
    a.close_vote(org, vote_item)
    s = build_state(m)
    labels = {row["id"]: row["phase_label"] for row in s["agenda"]}
    assert s["current"]["phase_label"] == labels[vote_item.pk] == "投票已结束"


def test_absent_item_label(meeting_setup, users):
    a.mark_absent(users.organiser, meeting_setup.items[1], True)
    row = build_state(meeting_setup.meeting)["agenda"][1]
    assert row["absent"] is True and row["phase_label"] == "缺席" and row["substitute"] == ""


def test_etag_ignores_server_now(meeting_setup):
    m = meeting_setup.meeting
    assert state_etag(build_state(m, now=at(0))) == state_etag(build_state(m, now=at(5)))
