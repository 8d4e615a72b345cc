"""The state of a meeting as every screen sees it: one dict, polled as JSON (see the issue-5 brief).

`build_state(meeting)` is what the projector (by screen key) and the staff pages (with login) both get.
Screens redraw when its ETag changes; the ETag is a hash of the state without `server_now`, so live
figures that are not meeting actions (ballot turnout, judges' submissions, the ranking) change it too.
The countdown travels as the absolute end time while running (`ends_at`, ms since epoch) and as the
remaining time otherwise; with `server_now` a screen corrects its clock drift.

`staff=True` (the control screen) adds the judges' progress of the current report even when the hall does
not see it, and a `control` block (version, what undo would undo).
A handful of indexed queries; no writes.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from django.utils import timezone

from shuping.ballots.actions.setup import turnout
from shuping.ballots.models import BallotBox
from shuping.ballots.pdf import enter_url
from shuping.campaigns.models import Participant
from shuping.meetings.actions import IRREVERSIBLE, last_action, ms, remaining_ms, skipped
from shuping.meetings.models import AgendaItem, ItemKind, Meeting, Phase, TimerState
from shuping.results import maths
from shuping.scoring.models import JudgeScore, JudgeSeat, Recusal, ScoringWindow, WindowState

NUMERALS = "一二三四五六七八九十"
SPEAKING_LABELS = {ItemKind.REPORT: "述职中", ItemKind.VOTE: "投票中", ItemKind.CLOSING: "讲话中",
                   ItemKind.OTHER: "进行中"}


def section_label(n: int) -> str:
    return "议程" + (NUMERALS[n - 1] if 1 <= n <= len(NUMERALS) else str(n))


def sections(items: list[AgendaItem]) -> dict[int, str]:
    """议程一 is the run of reports; every other item is a section of its own."""
    out: dict[int, str] = {}
    n, prev = 0, None
    for it in items:
        if not (it.kind == ItemKind.REPORT and prev == ItemKind.REPORT):
            n += 1
        out[it.pk] = section_label(n)
        prev = it.kind
    return out


def phase_label(item: AgendaItem, box_state: str | None = None) -> str:
    """`box_state`: the ballot box's state, for the 民主测评 item (still current after the box is closed)."""
    if item.phase == Phase.WAITING and skipped(item):
        return "缺席"
    if item.phase == Phase.SPEAKING:
        if item.kind == ItemKind.VOTE and box_state in ("closed", "published"):
            return "投票已结束"
        if item.kind == ItemKind.VOTE and box_state == "setup":
            return "待开始投票"
        return SPEAKING_LABELS.get(ItemKind(item.kind), "进行中")
    return str(Phase(item.phase).label)


def timer(item: AgendaItem, now: datetime) -> dict[str, Any]:
    running = item.timer_state == TimerState.RUNNING and item.timer_ends_at is not None
    return {
        "state": item.timer_state,
        "planned_ms": item.planned_seconds * 1000,
        "ends_at": ms(item.timer_ends_at) if running and item.timer_ends_at else None,
        "remaining_ms": None if running else remaining_ms(item, now),
        "overrun_ms": item.overrun_ms,
    }


def _current(item: AgendaItem, items: list[AgendaItem], secs: dict[int, str], now: datetime,
             box_state: str | None = None) -> dict[str, Any]:
    p = item.participant
    if item.kind == ItemKind.REPORT:
        reports = [x.pk for x in items if x.kind == ItemKind.REPORT]
        position_text = f"第 {reports.index(item.pk) + 1} 位 / 共 {len(reports)} 位"
    else:
        position_text = secs[item.pk]
    return {
        "id": item.pk, "kind": item.kind, "title": item.title, "phase": item.phase, "phase_label": phase_label(item, box_state),
        "unit": p.unit.name if p else "", "secretary": p.secretary.name if p and p.secretary_id else "",
        "mode_label": p.get_mode_display() if p else "", "substitute": item.substitute,
        "position_text": position_text, "timer": timer(item, now),
    }


def vote(meeting: Meeting) -> dict[str, Any] | None:
    box = BallotBox.objects.filter(campaign_id=meeting.campaign_id).select_related("campaign").first()
    if box is None:
        return None
    t = turnout(box)
    return {"box_state": box.state, "url": enter_url(),
            "groups": [{"name": g.name, "issued": g.issued, "used": g.used} for g in t.groups],
            "issued": t.total.issued, "used": t.total.used}


def judges(participant: Participant) -> dict[str, Any]:
    """Window state and “x / y judges submitted” for one reporter (panel minus 回避)."""
    window = (ScoringWindow.objects.filter(participant_id=participant.pk).values_list("state", flat=True).first()
              or WindowState.PENDING)
    recused = set(Recusal.objects.filter(participant_id=participant.pk).values_list("judge_id", flat=True))
    expected = {uid for uid, unit_id in JudgeSeat.objects.filter(campaign_id=participant.campaign_id)
                .values_list("user_id", "user__unit_id") if uid not in recused and unit_id != participant.unit_id}
    done = set(JudgeScore.objects.filter(participant_id=participant.pk, submitted_at__isnull=False)
               .values_list("judge_id", flat=True))
    return {"window": window, "window_label": str(WindowState(window).label), "submitted": len(expected & done),
            "expected": len(expected)}


def ranking(meeting: Meeting) -> list[dict[str, Any]]:
    """Reporters with submitted judges' sheets, by the judges' trimmed mean; equal scores share a rank."""
    scheme = meeting.campaign.scheme
    totals: dict[int, list[tuple[str, Fraction]]] = {}
    for pid, judge_id, total in (JudgeScore.objects.filter(participant__campaign_id=meeting.campaign_id,
                                                           submitted_at__isnull=False)
                                 .values_list("participant_id", "judge_id", "total")):
        totals.setdefault(pid, []).append((str(judge_id), Fraction(total)))
    if not totals:
        return []
    units = dict(Participant.objects.filter(pk__in=totals).values_list("pk", "unit__name"))
    scored = []
    for pid, ts in totals.items():
        j = maths.judging(ts, int(scheme.get("trim_k", 1)), int(scheme.get("trim_min_judges", 5)))
        if j.score is not None:
            scored.append((j.score, units[pid]))
    scored.sort(key=lambda x: (-x[0], x[1]))
    out: list[dict[str, Any]] = []
    for i, (score, unit) in enumerate(scored):
        rank = out[-1]["rank"] if out and scored[i - 1][0] == score else i + 1
        out.append({"rank": rank, "unit": unit, "score_display": maths.num(score)})
    return out


def build_state(meeting: Meeting, *, now: datetime | None = None, staff: bool = False) -> dict[str, Any]:
    now = now or timezone.now()
    m = Meeting.objects.select_related("campaign").get(pk=meeting.pk)
    items = list(AgendaItem.objects.filter(meeting=m).select_related("participant__unit", "participant__secretary")
                 .order_by("position"))
    secs = sections(items)
    current = next((it for it in items if it.pk == m.current_id), None)
    box_state = (BallotBox.objects.filter(campaign_id=m.campaign_id).values_list("state", flat=True).first()
                 if any(it.kind == ItemKind.VOTE and it.phase == Phase.SPEAKING for it in items) else None)
    state: dict[str, Any] = {
        "server_now": ms(now),
        "meeting": {"id": m.pk, "title": m.campaign.title, "state": m.state, "state_label": m.get_state_display()},
        "agenda": [{"id": it.pk, "position": it.position, "kind": it.kind, "title": it.title, "section": secs[it.pk],
                    "phase": it.phase, "phase_label": phase_label(it, box_state), "absent": it.absent,
                    "substitute": it.substitute, "current": it.pk == m.current_id, "overrun_ms": it.overrun_ms}
                   for it in items],
        "current": _current(current, items, secs, now, box_state) if current else None,
        "vote": vote(m) if current and current.kind == ItemKind.VOTE else None,
        "judges": None,
        "ranking": ranking(m) if m.show_ranking else None,
    }
    if current and current.kind == ItemKind.REPORT and current.participant and (m.show_judges or staff):
        state["judges"] = judges(current.participant)
    if staff:
        last = last_action(m)
        state["control"] = {
            "version": m.version,
            "undo": None if last is None else {"seq": last.seq, "summary": last.summary,
                                                 "blocked": IRREVERSIBLE.get(last.kind, "")},
        }
    return state
