"""The organiser's pages of 述职评议会: the campaign's meeting tab (create, options, agenda), the control
screen run from the laptop at the desk, and the staff state endpoint it polls.

Organisers write; observers and chairs read the same pages without buttons; everyone else gets 403, and
a meeting whose campaign they may not see 404. Every button is a POST to `act`, which calls
`actions.perform` (the same entry point as the API) and answers htmx with the refreshed live panel.
The control page polls `state.json` (ETag/304) so two control laptops stay in sync.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shuping.accounts import access
from shuping.accounts.access import MEETING_READERS, MEETING_RUNNERS, WIDE_READERS, roles_required
from shuping.accounts.models import User
from shuping.ballots.models import BallotBox
from shuping.campaigns.models import Campaign, CampaignState
from shuping.meetings import actions, agenda
from shuping.meetings.models import AgendaItem, ItemKind, Meeting, MeetingState, Phase
from shuping.meetings.state import build_state, phase_label, sections
from shuping.meetings.views_screen import state_etag, state_response
from shuping.scoring.models import ScoringWindow, WindowState

SHORTCUTS = [("空格", "开始 / 暂停 / 继续计时"), ("E", "延长 1 分钟"), ("C", "转入点评"), ("S", "开始 / 结束评分"),
             ("N", "下一项"), ("U", "撤销")]


def _user(request: HttpRequest) -> Any:
    return request.user


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def get_meeting(user: User, pk: int, write: bool = False) -> Meeting:
    """A meeting of a campaign the user may see; `write` needs an organiser."""
    if write:
        access.check_roles(user, *MEETING_RUNNERS)
    m = (Meeting.objects.select_related("campaign__committee")
         .filter(pk=pk, campaign__in=access.visible_campaigns(user)).first())
    if m is None:
        raise Http404("述职评议会不存在或无权查看")
    return m


def screen_url(request: HttpRequest, meeting: Meeting) -> str:
    return request.build_absolute_uri(reverse("meetings:screen", args=[meeting.screen_key]))


# ---------------------------------------------------------------- list and the campaign's tab


@roles_required(*MEETING_READERS)
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    campaigns = list(access.visible_campaigns(user).exclude(state=CampaignState.DRAFT)
                     .select_related("committee", "meeting").order_by("-year", "committee__code"))
    rows = [{"campaign": c, "meeting": getattr(c, "meeting", None)} for c in campaigns]
    return render(request, "meetings/control/home.html", {"rows": rows})


def _setup_ctx(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    user = _user(request)
    meeting = Meeting.objects.filter(campaign=campaign).first()
    can_run = user.has_role(*MEETING_RUNNERS)
    ctx: dict[str, Any] = {"campaign": campaign, "tab": "meeting", "meeting": meeting, "can_run": can_run,
                           "can_see_lots": user.has_role(*WIDE_READERS),
                           "can_create": can_run and campaign.state in agenda.OPEN_STATES}
    if meeting is not None:
        items = list(meeting.items.select_related("participant__unit", "participant__secretary"))
        secs = sections(items)
        box_state = BallotBox.objects.filter(campaign=campaign).values_list("state", flat=True).first()
        ctx.update({
            "items": [{"item": it, "section": secs[it.pk], "phase_label": phase_label(it, box_state),
                       "minutes": it.planned_seconds // 60,
                       "overrun": actions.fmt_ms(it.overrun_ms) if it.overrun_ms else "", "removable": it.kind == ItemKind.OTHER
                       and it.phase == Phase.WAITING and it.pk != meeting.current_id} for it in items],
            "screen_url": screen_url(request, meeting) if can_run else "",
            "editable": can_run and meeting.state != MeetingState.ENDED,
        })
    return ctx


@roles_required(*MEETING_READERS)
def campaign_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = access.get_campaign(_user(request), pk)
    return render(request, "meetings/control/setup.html", _setup_ctx(request, campaign))


@require_POST
@roles_required(*MEETING_RUNNERS)
def create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk, write=True)
    try:
        m = agenda.create_meeting(user, campaign)
    except ValidationError as e:
        for msg in e.messages:
            messages.error(request, msg)
    else:
        messages.success(request, f"已安排述职评议会，议程 {m.items.count()} 项")
    return redirect("meetings:campaign", campaign.pk)


def _int_or_none(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"参会人数“{raw}”不是整数") from None


@require_POST
@roles_required(*MEETING_RUNNERS)
def options(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    m = get_meeting(user, pk, write=True)
    try:
        actions.set_options(user, m, show_ranking=request.POST.get("show_ranking") == "1",
                            show_judges=request.POST.get("show_judges") == "1",
                            attendees=_int_or_none(request.POST.get("attendees")),
                            attendance_note=request.POST.get("attendance_note", ""))
    except ValidationError as e:
        for msg in e.messages:
            messages.error(request, msg)
    else:
        messages.success(request, "已保存会议设置")
    return redirect("meetings:campaign", m.campaign_id)


# ---------------------------------------------------------------- the control screen


def _other_open_windows(meeting: Meeting, current_id: int | None) -> list[AgendaItem]:
    """Reports past or ahead whose judges' window is still open (so the organiser can close it here)."""
    open_pids = set(ScoringWindow.objects.filter(participant__campaign_id=meeting.campaign_id,
                                                 state=WindowState.OPEN).values_list("participant_id", flat=True))
    return [it for it in meeting.items.filter(kind=ItemKind.REPORT, participant_id__in=open_pids)
            if it.pk != current_id]


def _live_ctx(request: HttpRequest, meeting: Meeting, error: str = "", ok: str = "") -> dict[str, Any]:
    user = _user(request)
    state = build_state(meeting, staff=True)
    cur = state["current"]
    timer = cur["timer"] if cur else None
    can_run = user.has_role(*MEETING_RUNNERS)
    m_state = state["meeting"]["state"]
    agenda_rows = [{**a, "overrun_text": actions.fmt_ms(a["overrun_ms"]) if a["overrun_ms"] else ""}
                   for a in state["agenda"]]
    return {
        "meeting": meeting, "state": state, "etag": state_etag(state), "cur": cur, "timer": timer,
        "agenda": agenda_rows, "clock_text": _clock_text(timer), "timer_note": _timer_note(timer), "can_run": can_run and m_state == MeetingState.RUNNING,
        "can_edit_agenda": can_run and m_state != MeetingState.ENDED, "can_start": can_run and m_state == "planned",
        "undo": state["control"]["undo"] if can_run else None, "other_windows": _other_open_windows(meeting, (
            cur or {}).get("id")) if can_run else [], "error": error, "ok": ok,
    }


def _timer_note(timer: dict[str, Any] | None) -> str:
    if timer is None:
        return ""
    planned = actions.fmt_ms(timer["planned_ms"])
    if timer["state"] == "idle":
        return f"未计时 · 计划 {planned}"
    if timer["state"] == "running":
        return f"计时中 · 计划 {planned}"
    if timer["state"] == "paused":
        return f"已暂停 · 计划 {planned}"
    over = f" · 超时 {actions.fmt_ms(timer['overrun_ms'])}" if timer["overrun_ms"] else ""
    return f"已停止 · 计划 {planned}{over}"


def _clock_text(timer: dict[str, Any] | None) -> str:
    """The countdown as first drawn (the script takes over within a moment)."""
    if timer is None:
        return "--:--"
    left = timer["remaining_ms"] if timer["remaining_ms"] is not None else timer["ends_at"] - actions.ms(timezone.now())
    if left > 0:
        s = -(-left // 1000)
        return f"{s // 60:02d}:{s % 60:02d}"
    over = -left // 1000
    return f"+{over // 60:02d}:{over % 60:02d}"


@roles_required(*MEETING_READERS)
def control(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    m = get_meeting(user, pk)
    ctx = _live_ctx(request, m)
    runner = user.has_role(*MEETING_RUNNERS)
    ctx.update({"shortcuts": SHORTCUTS, "screen_url": screen_url(request, m) if runner else "", "is_runner": runner})
    return render(request, "meetings/control/control.html", ctx)


@roles_required(*MEETING_READERS)
def control_live(request: HttpRequest, pk: int) -> HttpResponse:
    m = get_meeting(_user(request), pk)
    return render(request, "meetings/control/_live.html", _live_ctx(request, m))


@require_GET
@roles_required(*MEETING_READERS)
def state_json(request: HttpRequest, pk: int) -> HttpResponse:
    m = get_meeting(_user(request), pk)
    return state_response(request, build_state(m, staff=True))


DONE = {"start_meeting": "会议开始", "end_meeting": "会议已结束", "undo": "已撤销", "add_item": "已增加议程",
        "remove_item": "已删除议程", "absent": "已登记", "move": "已调整顺序"}


@require_POST
@roles_required(*MEETING_RUNNERS)
def act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Every control button: one action by name (see actions.perform); htmx gets the live panel back."""
    user = _user(request)
    m = get_meeting(user, pk, write=True)
    if name not in actions.ACTION_NAMES:
        raise Http404("未知的操作")
    error = ok = ""
    try:
        result = actions.perform(user, m, name, request.POST.dict())
    except ValidationError as e:
        error = "；".join(e.messages)
    else:
        ok = DONE.get(name, "")
        if name == "undo":
            ok = f"已撤销：{result.summary}"
    back = request.POST.get("back", "")
    if _htmx(request) and back != "setup":
        # 200 even on a refused move: htmx swaps only 2xx, and the panel shows the message.
        return render(request, "meetings/control/_live.html", _live_ctx(request, m, error=error, ok=ok))
    if error:
        messages.error(request, error)
    elif ok:
        messages.success(request, ok)
    if back == "setup":
        return redirect("meetings:campaign", m.campaign_id)
    return redirect("meetings:control", m.pk)
