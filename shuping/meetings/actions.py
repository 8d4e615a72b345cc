"""Running 述职评议会: agenda changes, the meeting's course, the countdown, judges' windows, the vote, undo.

Every action authorises through `shuping.accounts.access` (organisers only), locks the meeting row, runs in
one transaction, and
- appends an audit event (`shuping.audit.log.record`),
- logs a `MeetingAction` whose `before` holds the fields it changes (meeting and affected items), so that
  `undo_last` puts them back exactly,
- bumps `Meeting.version` (F("version") + 1), which tells every screen to redraw.

The countdown (see models): while running only the absolute `timer_ends_at` is stored, while paused or
stopped `timer_remaining_ms` (negative = over time). `planned_seconds` includes extensions, so at every
moment remaining = planned − used, and the overrun recorded when the speech ends is max(0, used − planned):
the countdown turns red exactly when overrun starts. Every action takes `now=` so tests fix the clock.

Actions that reach outside the meeting: `start_meeting` moves the campaign from 已发布 to 会议中;
`open_scoring`/`close_scoring` move the reporter's judges' window (shuping.scoring.actions_judging);
`open_vote`/`close_vote` open and close the ballot box; `end_meeting` turns the chair's tagged problems
into ledger entries. Undo reverses closing a window or the box (reopen with a reason); opening them and
ending the meeting cannot be undone (judges and voters may already have acted on them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shuping.accounts.access import MEETING_RUNNERS, check_roles
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.ballots.actions import setup as ballot_setup
from shuping.ballots.models import BallotBox
from shuping.campaigns import actions as campaign_actions
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.meetings.models import AgendaItem, ItemKind, Meeting, MeetingAction, MeetingState, Phase, TimerState
from shuping.scoring import actions_judging as judging

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_EXTEND = 60
MAX_EXTEND = 30 * 60
MAX_PLANNED = 4 * 3600
MAX_TITLE = 200
UNDO_REASON = "撤销误操作"

MEETING_FIELDS = ("state", "current_id", "show_ranking", "show_judges", "attendees", "attendance_note",
                  "started_at", "ended_at")
ITEM_FIELDS = ("position", "kind", "title", "participant_id", "absent", "substitute", "substitute_note", "phase",
               "planned_seconds", "timer_state", "timer_ends_at", "timer_remaining_ms", "used_ms", "overrun_ms",
               "started_at", "ended_at")
TIME_FIELDS = {"started_at", "ended_at", "timer_ends_at"}
# Actions whose effect outside the meeting cannot be taken back, and why (shown when undo is refused).
IRREVERSIBLE = {
    "open_scoring": "评委可能已开始评分；如误开，请点“结束评分”",
    "open_vote": "测评人员可能已开始投票；如误开，请点“结束投票”",
    "end_meeting": "会议已结束，点评中的问题已转入整改台账",
}


# ---------------------------------------------------------------- helpers


def ms(dt: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float)."""
    return (dt - EPOCH) // timedelta(milliseconds=1)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _enc(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _snap(obj: Meeting | AgendaItem, fields: Iterable[str]) -> dict[str, Any]:
    return {f: _enc(getattr(obj, f)) for f in fields}


def _restore(obj: Meeting | AgendaItem, snap: dict[str, Any]) -> None:
    for f, v in snap.items():
        setattr(obj, f, parse_datetime(v) if f in TIME_FIELDS and v else v)


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=meeting.pk)


def _items(m: Meeting) -> list[AgendaItem]:
    return list(AgendaItem.objects.select_for_update().filter(meeting=m).order_by("position"))


def _item(m: Meeting, item: AgendaItem | int) -> AgendaItem:
    pk = item if isinstance(item, int) else item.pk
    found = (AgendaItem.objects.select_for_update(of=("self",))
             .select_related("participant__unit", "participant__secretary")
             .filter(meeting=m, pk=pk).first())
    if found is None:
        raise ValidationError("该议程不属于本次会议或已删除")
    return found


def _begin(actor: User, meeting: Meeting) -> Meeting:
    check_roles(actor, *MEETING_RUNNERS)
    return _lock(meeting)


def _log(actor: User, m: Meeting, kind: str, summary: str, *, before: dict[str, Any], now: datetime,
         item: AgendaItem | None = None, data: dict[str, Any] | None = None) -> MeetingAction:
    """The control log entry, the audit event and the version bump of one action."""
    seq = (MeetingAction.objects.filter(meeting=m).aggregate(n=Max("seq"))["n"] or 0) + 1
    action = MeetingAction.objects.create(meeting=m, seq=seq, at=now, actor=actor, kind=kind, summary=summary[:300],
                                          item=item, before=before)
    Meeting.objects.filter(pk=m.pk).update(version=F("version") + 1)
    record(actor, f"meeting.{kind}", m, summary, {"seq": seq, "item": item.pk if item else None, **(data or {})})
    return action


def _before(m: Meeting, *items: AgendaItem, **extra: Any) -> dict[str, Any]:
    return {"meeting": _snap(m, MEETING_FIELDS), "items": {str(it.pk): _snap(it, ITEM_FIELDS) for it in items},
            **extra}


def _check_not_ended(m: Meeting) -> None:
    if m.state == MeetingState.ENDED:
        raise ValidationError("会议已结束，不能再修改")


def _check_running(m: Meeting) -> None:
    if m.state == MeetingState.PLANNED:
        raise ValidationError("会议尚未开始，请先点“开始会议”")
    if m.state == MeetingState.ENDED:
        raise ValidationError("会议已结束")


def _check_current(m: Meeting, item: AgendaItem) -> None:
    _check_running(m)
    if m.current_id != item.pk:
        raise ValidationError(f"“{item.title}”不是当前议程")


def _save_positions(items: list[AgendaItem]) -> None:
    """Save new positions without ever holding two items on one position (the unique constraint)."""
    for i, it in enumerate(items):
        AgendaItem.objects.filter(pk=it.pk).update(position=1_000_000 + i)
    for it in items:
        AgendaItem.objects.filter(pk=it.pk).update(position=it.position)


def skipped(item: AgendaItem) -> bool:
    """Absent with nobody reporting in their place: the item is passed over."""
    return item.absent and not item.substitute


def remaining_ms(item: AgendaItem, now: datetime) -> int:
    """Time left on the countdown (negative when over)."""
    if item.timer_state == TimerState.RUNNING and item.timer_ends_at is not None:
        return ms(item.timer_ends_at) - ms(now)
    if item.timer_remaining_ms is not None and item.timer_state != TimerState.IDLE:
        return item.timer_remaining_ms
    return item.planned_seconds * 1000 - item.used_ms


def fmt_ms(value: int) -> str:
    """m:ss of a duration (rounded down to the second)."""
    sign = "-" if value < 0 else ""
    s = abs(value) // 1000
    return f"{sign}{s // 60}:{s % 60:02d}"


def left_text(value: int) -> str:
    return f"剩余 {fmt_ms(value)}" if value >= 0 else f"已超时 {fmt_ms(-value)}"


def _stop(item: AgendaItem, now: datetime) -> None:
    """Stop the countdown: record the speaking time and the overrun."""
    if item.timer_state not in (TimerState.RUNNING, TimerState.PAUSED):
        return
    left = remaining_ms(item, now)
    planned = item.planned_seconds * 1000
    item.used_ms = planned - left
    item.overrun_ms = max(0, item.used_ms - planned)
    item.timer_state, item.timer_ends_at, item.timer_remaining_ms = TimerState.STOPPED, None, left


def _finish(item: AgendaItem, now: datetime) -> None:
    _stop(item, now)
    item.phase = Phase.DONE
    item.ended_at = now


def _next_after(items: list[AgendaItem], current: AgendaItem | None) -> AgendaItem | None:
    after = current.position if current else 0
    return next((it for it in items if it.position > after and it.phase != Phase.DONE and not skipped(it)), None)


def _save(*objs: Meeting | AgendaItem) -> None:
    for o in objs:
        if isinstance(o, Meeting):
            o.save(update_fields=[f.removesuffix("_id") if f == "current_id" else f for f in MEETING_FIELDS])
        else:
            o.save(update_fields=[f for f in ITEM_FIELDS if f not in ("position", "kind", "participant_id")])


# ---------------------------------------------------------------- agenda


def move_item(actor: User, item: AgendaItem, direction: str = "", position: int | None = None,
              now: datetime | None = None) -> AgendaItem:
    """Move an agenda item one place up/down, or to `position` (1-based). Only items not yet begun move,
    and only past other items not yet begun."""
    now = _now(now)
    with transaction.atomic():
        m = _begin(actor, item.meeting)
        _check_not_ended(m)
        items = _items(m)
        it = next((x for x in items if x.pk == item.pk), None)
        if it is None:
            raise ValidationError("该议程不属于本次会议或已删除")
        idx = items.index(it)
        if position is not None:
            target = int(position) - 1
            if not 0 <= target < len(items):
                raise ValidationError(f"位置应在 1 到 {len(items)} 之间")
        elif direction == "up":
            if idx == 0:
                raise ValidationError(f"“{it.title}”已在最前面")
            target = idx - 1
        elif direction == "down":
            if idx == len(items) - 1:
                raise ValidationError(f"“{it.title}”已在最后面")
            target = idx + 1
        else:
            raise ValidationError("请选择上移或下移")
        if target == idx:
            return it
        lo, hi = min(idx, target), max(idx, target)
        for x in items[lo:hi + 1]:
            if x.phase != Phase.WAITING or x.pk == m.current_id:
                raise ValidationError(f"“{x.title}”已开始或已结束，不能调整它前后的顺序")
        before = _before(m, *items[lo:hi + 1])
        items.insert(target, items.pop(idx))
        for n, x in enumerate(items, 1):
            x.position = n
        _save_positions(items[lo:hi + 1])
        _log(actor, m, "move", f"调整议程顺序：“{it.title}”移到第 {target + 1} 项", before=before, now=now, item=it,
             data={"from": idx + 1, "to": target + 1})
    return it


def mark_absent(actor: User, item: AgendaItem, absent: bool, substitute: str = "", note: str = "",
                now: datetime | None = None) -> AgendaItem:
    """Record a reporter's absence; a substitute reports in their place, else the item is skipped."""
    now = _now(now)
    substitute, note = (substitute or "").strip(), (note or "").strip()
    with transaction.atomic():
        m = _begin(actor, item.meeting)
        _check_not_ended(m)
        it = _item(m, item)
        if it.kind != ItemKind.REPORT:
            raise ValidationError("只有述职议程可以登记缺席")
        if it.phase != Phase.WAITING:
            raise ValidationError(f"“{it.title}”已开始或已结束，不能再登记缺席")
        if len(substitute) > 50:
            raise ValidationError("代述职人姓名不能超过 50 字")
        if len(note) > 200:
            raise ValidationError("说明不能超过 200 字")
        if not absent and (substitute or note):
            substitute = note = ""
        before = _before(m, it)
        it.absent, it.substitute, it.substitute_note = bool(absent), substitute, note
        _save(it)
        if not absent:
            summary = f"“{it.title}”：取消缺席登记"
        elif substitute:
            summary = f"“{it.title}”：述职人缺席，由{substitute}代述职" + (f"（{note}）" if note else "")
        else:
            summary = f"“{it.title}”：述职人缺席，跳过" + (f"（{note}）" if note else "")
        _log(actor, m, "absent", summary, before=before, now=now, item=it,
             data={"absent": bool(absent), "substitute": substitute, "note": note})
    return it


def add_item(actor: User, meeting: Meeting, title: str, minutes: int = 10, position: int | None = None,
             now: datetime | None = None) -> AgendaItem:
    """Add an 其他 item (e.g. 宣读通报), at `position` (1-based) or before the closing speech."""
    now = _now(now)
    title = (title or "").strip()
    if not title:
        raise ValidationError("请填写议程名称")
    if len(title) > MAX_TITLE:
        raise ValidationError(f"议程名称不能超过 {MAX_TITLE} 字")
    try:
        seconds = int(minutes) * 60
    except (TypeError, ValueError):
        raise ValidationError("时长应为整数分钟") from None
    if not 0 < seconds <= MAX_PLANNED:
        raise ValidationError("时长应在 1 到 240 分钟之间")
    with transaction.atomic():
        m = _begin(actor, meeting)
        _check_not_ended(m)
        items = _items(m)
        if position is None:
            closing = next((x for x in items if x.kind == ItemKind.CLOSING), None)
            target = items.index(closing) if closing else len(items)
        else:
            target = int(position) - 1
            if not 0 <= target <= len(items):
                raise ValidationError(f"位置应在 1 到 {len(items) + 1} 之间")
        later = items[target:]
        if any(x.phase != Phase.WAITING or x.pk == m.current_id for x in later):
            raise ValidationError("只能在尚未开始的议程之间插入")
        before = _before(m, *later)
        for n, x in enumerate(later, target + 2):
            x.position = n
        _save_positions(list(reversed(later)))
        it = AgendaItem.objects.create(meeting=m, position=target + 1, kind=ItemKind.OTHER, title=title,
                                       planned_seconds=seconds)
        before["created"] = [it.pk]
        _log(actor, m, "add_item", f"增加议程“{title}”（第 {target + 1} 项，{seconds // 60} 分钟）", before=before,
             now=now, item=it, data={"title": title, "position": target + 1, "seconds": seconds})
    return it


def remove_item(actor: User, item: AgendaItem, now: datetime | None = None) -> None:
    """Remove an 其他 item not yet begun (reports, the vote and the closing speech stay)."""
    now = _now(now)
    with transaction.atomic():
        m = _begin(actor, item.meeting)
        _check_not_ended(m)
        items = _items(m)
        it = next((x for x in items if x.pk == item.pk), None)
        if it is None:
            raise ValidationError("该议程不属于本次会议或已删除")
        if it.kind != ItemKind.OTHER:
            raise ValidationError(f"“{it.title}”是{it.get_kind_display()}议程，不能删除（只能删除增加的其他议程）")
        if it.phase != Phase.WAITING or it.pk == m.current_id:
            raise ValidationError(f"“{it.title}”已开始或已结束，不能删除")
        later = [x for x in items if x.position > it.position]
        before = _before(m, *later, removed=[{"id": it.pk, **_snap(it, ITEM_FIELDS)}])
        it.delete()
        for x in later:
            x.position -= 1
        _save_positions(later)
        _log(actor, m, "remove_item", f"删除议程“{it.title}”", before=before, now=now, data={"title": it.title})


def set_options(actor: User, meeting: Meeting, *, show_ranking: bool, show_judges: bool,
                attendees: int | None = None, attendance_note: str = "", now: datetime | None = None) -> Meeting:
    now = _now(now)
    note = (attendance_note or "").strip()
    if attendees is not None and not 0 <= int(attendees) <= 100_000:
        raise ValidationError("参会人数应为 0 到 100000 之间的整数")
    if len(note) > 2000:
        raise ValidationError("出席情况不能超过 2000 字")
    with transaction.atomic():
        m = _begin(actor, meeting)
        before = _before(m)
        m.show_ranking, m.show_judges = bool(show_ranking), bool(show_judges)
        m.attendees = None if attendees is None else int(attendees)
        m.attendance_note = note
        _save(m)
        parts = [f"大屏{'显示' if m.show_ranking else '不显示'}实时排名",
                 f"{'显示' if m.show_judges else '不显示'}评委提交进度"]
        if m.attendees is not None:
            parts.append(f"参会 {m.attendees} 人")
        _log(actor, m, "options", "会议设置：" + "，".join(parts), before=before, now=now,
             data={"show_ranking": m.show_ranking, "show_judges": m.show_judges, "attendees": m.attendees,
                   "attendance_note": note})
    return m


# ---------------------------------------------------------------- the meeting's course


def start_meeting(actor: User, meeting: Meeting, now: datetime | None = None) -> Meeting:
    """planned → running; the first item becomes current. A campaign still 已发布 moves to 会议中."""
    now = _now(now)
    with transaction.atomic():
        m = _begin(actor, meeting)
        if m.state != MeetingState.PLANNED:
            raise ValidationError(f"会议处于“{m.get_state_display()}”状态，不能再开始")
        c = Campaign.objects.get(pk=m.campaign_id)
        moved = False
        if c.state == CampaignState.PUBLISHED:
            campaign_actions.transition(actor, c, CampaignState.MEETING)
            moved = True
        elif c.state != CampaignState.MEETING:
            raise ValidationError(f"考核方案处于“{c.get_state_display()}”状态，不能开始述职评议会")
        items = _items(m)
        first = _next_after(items, None)
        before = _before(m)
        m.state, m.started_at, m.current_id = MeetingState.RUNNING, now, first.pk if first else None
        _save(m)
        _log(actor, m, "start_meeting", "会议开始" + (f"，当前议程：“{first.title}”" if first else ""),
             before=before, now=now, item=first, data={"campaign_moved": moved})
    m.refresh_from_db()
    return m


def _switch(actor: User, m: Meeting, target: AgendaItem | None, kind: str, now: datetime) -> AgendaItem | None:
    items = _items(m)
    current = next((x for x in items if x.pk == m.current_id), None)
    before = _before(m, *([current] if current else []))
    if current is not None:
        _finish(current, now)
        _save(current)
    m.current_id = target.pk if target else None
    _save(m)
    done = ""
    if current is not None:
        done = f"“{current.title}”结束" + (f"（超时 {fmt_ms(current.overrun_ms)}）" if current.overrun_ms else "")
    to = f"转到“{target.title}”" if target else "议程已全部完成"
    _log(actor, m, kind, "，".join(x for x in (done, to) if x), before=before, now=now, item=target or current,
         data={"finished": current.pk if current else None, "overrun_ms": current.overrun_ms if current else None})
    return target


def next_item(actor: User, meeting: Meeting, now: datetime | None = None) -> AgendaItem | None:
    """Finish the current item (stop its countdown, record the overrun) and move to the next one not skipped."""
    now = _now(now)
    with transaction.atomic():
        m = _begin(actor, meeting)
        _check_running(m)
        items = _items(m)
        current = next((x for x in items if x.pk == m.current_id), None)
        if current is None:
            raise ValidationError("议程已全部完成，请点“结束会议”")
        return _switch(actor, m, _next_after(items, current), "next", now)


def go_to(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    """Jump to an item not yet done (finishing the current one)."""
    now = _now(now)
    with transaction.atomic():
        m = _begin(actor, item.meeting)
        _check_running(m)
        it = _item(m, item)
        if it.pk == m.current_id:
            raise ValidationError(f"“{it.title}”已是当前议程")
        if it.phase == Phase.DONE:
            raise ValidationError(f"“{it.title}”已结束，不能再转到（如是误操作，请撤销）")
        if skipped(it):
            raise ValidationError(f"“{it.title}”已登记缺席且无人代述职，不能转到；请先取消缺席登记")
        _switch(actor, m, it, "go_to", now)
    return it


def end_meeting(actor: User, meeting: Meeting, now: datetime | None = None) -> Meeting:
    """running → ended: finish the current item; the chair's tagged problems become ledger entries."""
    from shuping.meetings.commentary import problems_to_ledger  # M3's module; imported late on purpose

    now = _now(now)
    with transaction.atomic():
        m = _begin(actor, meeting)
        _check_running(m)
        items = _items(m)
        current = next((x for x in items if x.pk == m.current_id), None)
        before = _before(m, *([current] if current else []))
        if current is not None:
            _finish(current, now)
            _save(current)
        m.state, m.ended_at, m.current_id = MeetingState.ENDED, now, None
        _save(m)
        over = [x for x in items if x.overrun_ms]
        _log(actor, m, "end_meeting", f"会议结束（{len(over)} 名述职人超时）", before=before, now=now,
             data={"overruns": {x.pk: x.overrun_ms for x in over}})
        problems_to_ledger(actor, m)
    m.refresh_from_db()
    return m


# ---------------------------------------------------------------- countdown


def _timer_item(actor: User, item: AgendaItem) -> tuple[Meeting, AgendaItem]:
    m = _begin(actor, item.meeting)
    it = _item(m, item)
    _check_current(m, it)
    if skipped(it):
        raise ValidationError(f"“{it.title}”已登记缺席，不能计时")
    return m, it


def start_timer(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    """Start the countdown from the planned time; a report moves to 述职中."""
    now = _now(now)
    with transaction.atomic():
        m, it = _timer_item(actor, item)
        if it.timer_state != TimerState.IDLE:
            raise ValidationError(f"计时{it.get_timer_state_display()}，不能重新开始（暂停后请点“继续”）")
        if it.phase in (Phase.COMMENTING, Phase.DONE):
            raise ValidationError(f"“{it.title}”已{it.get_phase_display()}，不能再开始计时")
        before = _before(m, it)
        it.timer_state = TimerState.RUNNING
        it.timer_ends_at = now + timedelta(milliseconds=it.planned_seconds * 1000 - it.used_ms)
        it.timer_remaining_ms = None
        it.phase = Phase.SPEAKING
        it.started_at = it.started_at or now
        _save(it)
        _log(actor, m, "start_timer", f"“{it.title}”开始计时（{fmt_ms(it.planned_seconds * 1000)}）",
             before=before, now=now, item=it)
    return it


def pause_timer(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    now = _now(now)
    with transaction.atomic():
        m, it = _timer_item(actor, item)
        if it.timer_state != TimerState.RUNNING:
            raise ValidationError(f"计时{it.get_timer_state_display()}，不能暂停")
        before = _before(m, it)
        left = remaining_ms(it, now)
        it.timer_state, it.timer_ends_at, it.timer_remaining_ms = TimerState.PAUSED, None, left
        it.used_ms = it.planned_seconds * 1000 - left
        _save(it)
        _log(actor, m, "pause_timer", f"“{it.title}”暂停计时（{left_text(left)}）", before=before, now=now, item=it)
    return it


def resume_timer(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    now = _now(now)
    with transaction.atomic():
        m, it = _timer_item(actor, item)
        if it.timer_state != TimerState.PAUSED:
            raise ValidationError(f"计时{it.get_timer_state_display()}，不能继续")
        before = _before(m, it)
        left = remaining_ms(it, now)
        it.timer_state, it.timer_ends_at, it.timer_remaining_ms = TimerState.RUNNING, now + timedelta(
            milliseconds=left), None
        _save(it)
        _log(actor, m, "resume_timer", f"“{it.title}”继续计时（{left_text(left)}）", before=before, now=now, item=it)
    return it


def extend_timer(actor: User, item: AgendaItem, seconds: int = DEFAULT_EXTEND, now: datetime | None = None
                 ) -> AgendaItem:
    """Add time to the countdown (and to the planned time, so no overrun is counted for it)."""
    now = _now(now)
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        raise ValidationError("延长时间应为整数秒") from None
    if not 0 < seconds <= MAX_EXTEND:
        raise ValidationError(f"每次延长应在 1 到 {MAX_EXTEND} 秒之间")
    with transaction.atomic():
        m, it = _timer_item(actor, item)
        if it.timer_state == TimerState.STOPPED or it.phase in (Phase.COMMENTING, Phase.DONE):
            raise ValidationError("计时已停止，不能延长")
        before = _before(m, it)
        it.planned_seconds += seconds
        if it.timer_state == TimerState.RUNNING and it.timer_ends_at is not None:
            it.timer_ends_at += timedelta(seconds=seconds)
        elif it.timer_state == TimerState.PAUSED and it.timer_remaining_ms is not None:
            it.timer_remaining_ms += seconds * 1000
        _save(it)
        _log(actor, m, "extend_timer", f"“{it.title}”延长 {fmt_ms(seconds * 1000)}（{left_text(remaining_ms(it, now))}）",
             before=before, now=now, item=it, data={"seconds": seconds})
    return it


def stop_timer(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    """Stop the countdown and record the speaking time and overrun."""
    now = _now(now)
    with transaction.atomic():
        m, it = _timer_item(actor, item)
        if it.timer_state not in (TimerState.RUNNING, TimerState.PAUSED):
            raise ValidationError(f"计时{it.get_timer_state_display()}，不能停止")
        before = _before(m, it)
        _stop(it, now)
        _save(it)
        over = f"，超时 {fmt_ms(it.overrun_ms)}" if it.overrun_ms else ""
        _log(actor, m, "stop_timer", f"“{it.title}”停止计时（用时 {fmt_ms(it.used_ms)}{over}）", before=before,
             now=now, item=it, data={"used_ms": it.used_ms, "overrun_ms": it.overrun_ms})
    return it


def to_commentary(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    """述职 → 点评 (一述一评): the countdown stops and the overrun is recorded."""
    now = _now(now)
    with transaction.atomic():
        m = _begin(actor, item.meeting)
        it = _item(m, item)
        _check_current(m, it)
        if it.kind != ItemKind.REPORT:
            raise ValidationError("只有述职议程有点评环节")
        if it.phase != Phase.SPEAKING:
            raise ValidationError(f"“{it.title}”{it.get_phase_display()}，不能转入点评（须在述职中）")
        before = _before(m, it)
        _stop(it, now)
        it.phase = Phase.COMMENTING
        _save(it)
        over = f"，超时 {fmt_ms(it.overrun_ms)}" if it.overrun_ms else ""
        _log(actor, m, "commentary", f"“{it.title}”转入点评（用时 {fmt_ms(it.used_ms)}{over}）", before=before,
             now=now, item=it, data={"used_ms": it.used_ms, "overrun_ms": it.overrun_ms})
    return it


# ---------------------------------------------------------------- judges and the vote


def _report_item(actor: User, item: AgendaItem) -> tuple[Meeting, AgendaItem]:
    m = _begin(actor, item.meeting)
    _check_running(m)
    it = _item(m, item)
    if it.kind != ItemKind.REPORT or it.participant is None:
        raise ValidationError("只有述职议程可以开始或结束评分")
    if skipped(it):
        raise ValidationError(f"“{it.title}”已登记缺席，不评分")
    return m, it


def open_scoring(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    now = _now(now)
    with transaction.atomic():
        m, it = _report_item(actor, item)
        assert it.participant is not None
        before = _before(m)
        judging.open_window(actor, it.participant)
        _log(actor, m, "open_scoring", f"“{it.title}”开始评分", before=before, now=now, item=it)
    return it


def close_scoring(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    now = _now(now)
    with transaction.atomic():
        m, it = _report_item(actor, item)
        assert it.participant is not None
        before = _before(m, participant=it.participant_id)
        judging.close_window(actor, it.participant)
        _log(actor, m, "close_scoring", f"“{it.title}”结束评分", before=before, now=now, item=it)
    return it


def ballot_box(meeting: Meeting) -> BallotBox | None:
    return BallotBox.objects.filter(campaign_id=meeting.campaign_id).first()


def _vote_item(actor: User, item: AgendaItem) -> tuple[Meeting, AgendaItem, BallotBox]:
    m = _begin(actor, item.meeting)
    it = _item(m, item)
    if it.kind != ItemKind.VOTE:
        raise ValidationError("只有民主测评议程可以开始或结束投票")
    _check_current(m, it)
    box = ballot_box(m)
    if box is None:
        raise ValidationError("本考核方案没有民主测评票箱")
    return m, it, box


def open_vote(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    now = _now(now)
    with transaction.atomic():
        m, it, box = _vote_item(actor, item)
        before = _before(m, it)
        ballot_setup.open_box(actor, box)
        if it.phase == Phase.WAITING:
            it.phase, it.started_at = Phase.SPEAKING, it.started_at or now
            _save(it)
        _log(actor, m, "open_vote", "民主测评开始投票", before=before, now=now, item=it, data={"box": box.pk})
    return it


def close_vote(actor: User, item: AgendaItem, now: datetime | None = None) -> AgendaItem:
    now = _now(now)
    with transaction.atomic():
        m, it, box = _vote_item(actor, item)
        before = _before(m, it, box=box.pk)
        ballot_setup.close_box(actor, box)
        _log(actor, m, "close_vote", "民主测评结束投票（封箱）", before=before, now=now, item=it, data={"box": box.pk})
    return it


# ---------------------------------------------------------------- undo


def last_action(meeting: Meeting) -> MeetingAction | None:
    """What “撤销” would undo now."""
    return MeetingAction.objects.filter(meeting=meeting, undone=False).order_by("-seq").first()


def undo_last(actor: User, meeting: Meeting, now: datetime | None = None) -> MeetingAction:
    """Put back exactly what the last action not yet undone changed. Undo again to go further back."""
    now = _now(now)
    with transaction.atomic():
        m = _begin(actor, meeting)
        action = MeetingAction.objects.select_for_update().filter(meeting=m, undone=False).order_by("-seq").first()
        if action is None:
            raise ValidationError("没有可以撤销的操作")
        if action.kind in IRREVERSIBLE:
            raise ValidationError(f"“{action.summary}”不能撤销：{IRREVERSIBLE[action.kind]}")
        b = action.before
        if action.kind == "close_scoring":
            participant = Participant.objects.select_related("unit", "secretary").get(pk=b["participant"])
            judging.reopen_window(actor, participant, UNDO_REASON)
        elif action.kind == "close_vote":
            ballot_setup.reopen_box(actor, BallotBox.objects.get(pk=b["box"]), UNDO_REASON)
        AgendaItem.objects.filter(meeting=m, pk__in=b.get("created", [])).delete()
        for snap in b.get("removed", []):
            data = {k: v for k, v in snap.items() if k not in ("id", "position")}
            it = AgendaItem(pk=snap["id"], meeting=m, position=1_000_000 + snap["id"])
            _restore(it, data)
            it.save(force_insert=True)
        items = {str(it.pk): it for it in AgendaItem.objects.select_for_update().filter(
            meeting=m, pk__in=[int(k) for k in b.get("items", {})] + [s["id"] for s in b.get("removed", [])])}
        for key, snap in b.get("items", {}).items():
            if key in items:
                _restore(items[key], snap)
                _save(items[key])
        for snap in b.get("removed", []):
            items[str(snap["id"])].position = snap["position"]
        _save_positions(list(items.values()))
        _restore(m, b.get("meeting", {}))
        _save(m)
        action.undone = True
        action.save(update_fields=["undone"])
        Meeting.objects.filter(pk=m.pk).update(version=F("version") + 1)
        record(actor, "meeting.undo", m, f"撤销：{action.summary}", {"seq": action.seq, "kind": action.kind})
    return action


# ---------------------------------------------------------------- one entry point for pages and the API

ITEM_ACTIONS = {
    "start_timer": start_timer, "pause_timer": pause_timer, "resume_timer": resume_timer,
    "stop_timer": stop_timer, "commentary": to_commentary, "go_to": go_to,
    "open_scoring": open_scoring, "close_scoring": close_scoring, "open_vote": open_vote, "close_vote": close_vote,
    "remove_item": remove_item,
}
MEETING_ACTIONS = {"start_meeting": start_meeting, "next": next_item, "end_meeting": end_meeting,
                   "undo": undo_last}
ACTION_NAMES = sorted([*ITEM_ACTIONS, *MEETING_ACTIONS, "extend_timer", "move", "absent", "add_item"])


def perform(actor: User, meeting: Meeting, name: str, params: dict[str, Any], now: datetime | None = None) -> Any:
    """Run the control action `name` with parameters from a form or JSON body (item = agenda item id)."""
    if name in MEETING_ACTIONS:
        return MEETING_ACTIONS[name](actor, meeting, now=now)
    if name == "add_item":
        pos = params.get("position")
        return add_item(actor, meeting, str(params.get("title") or ""), params.get("minutes") or 10,
                        int(pos) if pos not in (None, "") else None, now=now)
    if name not in ITEM_ACTIONS and name not in ("extend_timer", "move", "absent"):
        raise ValidationError(f"未知的操作“{name}”")
    raw = params.get("item")
    try:
        item_id = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError("请指定议程") from None
    item = AgendaItem.objects.filter(meeting=meeting, pk=item_id).select_related("meeting").first()
    if item is None:
        raise ValidationError("该议程不属于本次会议或已删除")
    if name == "extend_timer":
        return extend_timer(actor, item, params.get("seconds") or DEFAULT_EXTEND, now=now)
    if name == "move":
        pos = params.get("position")
        return move_item(actor, item, str(params.get("direction") or ""),
                         int(pos) if pos not in (None, "") else None, now=now)
    if name == "absent":
        return mark_absent(actor, item, _truthy(params.get("absent")), str(params.get("substitute") or ""),
                           str(params.get("note") or ""), now=now)
    return ITEM_ACTIONS[name](actor, item, now=now)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "on", "yes")
