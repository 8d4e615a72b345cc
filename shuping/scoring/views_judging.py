"""Pages of 现场评分: the judge's phone pages and the organiser's control page per campaign.

Judges (with a seat on the campaign's panel) see their reporters and score them; a judge without a seat
gets 404. Organisers run the panel, 回避 and windows; observers and chairs read the same page without buttons.
Thin: the access helper first, then one action from `actions_judging.py`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import SCORERS, SCORING_MANAGERS, SCORING_PROGRESS_READERS, WIDE_READERS, roles_required
from shuping.accounts.models import Role, User
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.scoring import actions_judging as judging
from shuping.scoring.models import JudgeReminder, JudgeScore, JudgeSeat, Recusal, WindowState


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, e: ValidationError) -> None:
    for m in e.messages:
        messages.error(request, m)


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def seat_campaign(user: User, pk: int) -> Campaign:
    """A campaign on whose panel the judge sits; any other answers 404."""
    seat = JudgeSeat.objects.select_related("campaign__committee").filter(campaign_id=pk, user=user).first()
    if seat is None:
        raise Http404("考核方案不存在，或您不是该考核方案的评委")
    return seat.campaign


def _participant(campaign: Campaign, pid: int) -> Participant:
    return get_object_or_404(Participant.objects.select_related("unit", "secretary"), pk=pid, campaign=campaign)


# ---------------------------------------------------------------- home


@roles_required(*SCORERS, *SCORING_PROGRESS_READERS)
def home(request: HttpRequest) -> HttpResponse:
    """Judges: the campaigns where they have a seat. Organisers and readers: campaigns under way."""
    user = _user(request)
    seats = []
    if user.has_role(*SCORERS):
        for seat in JudgeSeat.objects.filter(user=user).select_related("campaign").order_by("-campaign__year"):
            rows = judging.judge_home(user, seat.campaign)
            seats.append({"campaign": seat.campaign, "total": len(rows),
                          "done": sum(1 for r in rows if r.submitted),
                          "open": [r for r in rows if r.speaking],
                          "reminders": JudgeReminder.objects.filter(campaign=seat.campaign, judge=user,
                                                                    seen_at__isnull=True).count()})
    campaigns = []
    if user.has_role(*SCORING_PROGRESS_READERS):
        campaigns = list(access.visible_campaigns(user).exclude(state=CampaignState.DRAFT).select_related("committee")
                         .order_by("-year", "committee__code"))
    return render(request, "scoring/judging/home.html", {"seats": seats, "campaigns": campaigns})


# ---------------------------------------------------------------- the judge's pages


def _judge_ctx(user: User, campaign: Campaign) -> dict[str, Any]:
    rows = judging.judge_home(user, campaign)
    return {
        "campaign": campaign, "rows": rows, "total": len(rows), "done": sum(1 for r in rows if r.submitted),
        "speaking": [r for r in rows if r.speaking],
        "reminders": list(JudgeReminder.objects.filter(campaign=campaign, judge=user, seen_at__isnull=True)[:5]),
        "locked": judging.is_locked(campaign),
    }


@roles_required(*SCORERS)
def judge_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = seat_campaign(user, pk)
    return render(request, "scoring/judging/judge.html", _judge_ctx(user, campaign))


@roles_required(*SCORERS)
def judge_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The reporter list alone, polled by htmx so a window that opens shows up without reloading."""
    user = _user(request)
    campaign = seat_campaign(user, pk)
    return render(request, "scoring/judging/_judge_list.html", _judge_ctx(user, campaign))


@require_POST
@roles_required(*SCORERS)
def reminders_seen(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = seat_campaign(user, pk)
    judging.mark_reminders_seen(user, campaign)
    return redirect("scoring:judge_campaign", campaign.pk)


@roles_required(*SCORERS)
def score_form(request: HttpRequest, pk: int, pid: int) -> HttpResponse:
    user = _user(request)
    campaign = seat_campaign(user, pk)
    participant = _participant(campaign, pid)
    if judging.is_recused(user, participant):
        raise Http404("您须对该述职人回避")
    sheet = JudgeScore.objects.filter(participant=participant, judge=user).first()
    inds = judging.indicators(campaign)
    values = list(sheet.points) if sheet else [""] * len(inds)
    errors: list[str] = []
    if request.method == "POST":
        values = [request.POST.get(f"p{i}", "") for i in range(len(inds))]
        submit = request.POST.get("action") == "submit"
        try:
            sheet = judging.save_score(user, participant, values, submit)
        except ValidationError as e:
            errors = e.messages
        else:
            if submit:
                messages.success(request, f"已提交对{judging.reporter_name(participant)}的评分，合计 {sheet.total} 分"
                                          "（结束评分前仍可修改）")
                return redirect("scoring:judge_campaign", campaign.pk)
            messages.success(request, f"已保存（合计 {sheet.total} 分），尚未提交")
            return redirect("scoring:score", campaign.pk, participant.pk)
    state = judging.window_state(participant)
    locked = judging.is_locked(campaign)
    editable = state == WindowState.OPEN and campaign.state in judging.SCORING_STATES and not locked
    rows = [{"index": i, "name": name, "max": top, "value": values[i] if i < len(values) else ""}
            for i, (name, top) in enumerate(inds)]
    return render(request, "scoring/judging/score.html", {
        "campaign": campaign, "participant": participant, "sheet": sheet, "rows": rows, "errors": errors,
        "state": state, "state_label": dict(WindowState.choices)[state], "editable": editable, "locked": locked,
        "max_total": sum((top for _, top in inds), Decimal(0)),
    }, status=422 if errors else 200)


# ---------------------------------------------------------------- the organiser's control page


def _control_ctx(user: User, campaign: Campaign) -> dict[str, Any]:
    rows = judging.progress(campaign)
    can_edit = user.has_role(*SCORING_MANAGERS)
    seats = list(JudgeSeat.objects.filter(campaign=campaign).select_related("user__unit"))
    locked = judging.is_locked(campaign)
    scoring_open = campaign.state in judging.SCORING_STATES and not locked
    return {
        "campaign": campaign, "tab": "scoring", "can_edit": can_edit, "can_see_lots": user.has_role(*WIDE_READERS),
        "rows": rows, "seats": seats, "locked": locked,
        "scored": set(JudgeScore.objects.filter(participant__campaign=campaign).values_list("judge_id", flat=True)),
        "can_move": can_edit and scoring_open,
        "can_panel": can_edit and campaign.state not in judging.PANEL_CLOSED_STATES and not locked,
        "live": scoring_open and any(r.window == WindowState.OPEN for r in rows),
        "any_open": any(r.window == WindowState.OPEN for r in rows),
    }


@roles_required(*SCORING_PROGRESS_READERS)
def control(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    ctx = _control_ctx(user, campaign)
    recusals = list(Recusal.objects.filter(campaign=campaign).select_related("judge", "participant__unit",
                                                                               "participant__secretary"))
    participants = judging.ordered_participants(campaign)
    own_unit = [(s.user, p) for s in ctx["seats"] for p in participants
                if s.user.unit_id and s.user.unit_id == p.unit_id]
    seated = {s.user_id for s in ctx["seats"]}
    candidates = [u for u in User.objects.filter(is_active=True, roles__role=Role.JUDGE).select_related("unit")
                  .order_by("username") if u.pk not in seated]
    ctx.update({"recusals": recusals, "own_unit": own_unit, "candidates": candidates,
                "participants": participants})
    return render(request, "scoring/judging/control.html", ctx)


@roles_required(*SCORING_PROGRESS_READERS)
def control_progress(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    return render(request, "scoring/judging/_progress.html", _control_ctx(user, campaign))


def _after_move(request: HttpRequest, user: User, campaign: Campaign, error: str = "", ok: str = "") -> HttpResponse:
    if _htmx(request):
        ctx = _control_ctx(user, campaign)
        ctx.update({"error": error, "ok": ok})
        return render(request, "scoring/judging/_progress.html", ctx)
    if error:
        messages.error(request, error)
    elif ok:
        messages.success(request, ok)
    return redirect("scoring:control", campaign.pk)


MOVES = {"open": "已开始评分", "close": "已结束评分", "reopen": "已重新开放评分"}


@require_POST
@roles_required(*SCORING_MANAGERS)
def window(request: HttpRequest, pk: int, pid: int, to: str) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk, write=True)
    participant = _participant(campaign, pid)
    try:
        if to == "open":
            judging.open_window(user, participant)
        elif to == "close":
            judging.close_window(user, participant)
        elif to == "reopen":
            judging.reopen_window(user, participant, request.POST.get("reason", ""))
        else:
            raise Http404("未知的操作")
    except ValidationError as e:
        return _after_move(request, user, campaign, error="；".join(e.messages))
    return _after_move(request, user, campaign, ok=f"{judging.reporter_name(participant)}：{MOVES[to]}")


@require_POST
@roles_required(*SCORING_MANAGERS)
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    """POST pid=<participant> for one reporter; without it, every open window of the campaign."""
    user = _user(request)
    campaign = access.get_campaign(user, pk, write=True)
    pid = request.POST.get("pid", "").strip()
    target: Participant | Campaign = _participant(campaign, int(pid)) if pid.isdigit() else campaign
    try:
        reminded = judging.remind_missing(user, target)
    except ValidationError as e:
        return _after_move(request, user, campaign, error="；".join(e.messages))
    if not reminded:
        return _after_move(request, user, campaign, ok="评委均已提交，无需提醒")
    return _after_move(request, user, campaign,
                       ok=f"已提醒 {len(reminded)} 名评委：{'、'.join(judging.judge_name(u) for u in reminded)}")


def _judge_user(request: HttpRequest) -> User:
    uid = request.POST.get("judge", "").strip()
    if not uid.isdigit():
        raise ValidationError("请选择评委")
    return get_object_or_404(User.objects.select_related("unit"), pk=int(uid))


@require_POST
@roles_required(*SCORING_MANAGERS)
def panel(request: HttpRequest, pk: int, op: str) -> HttpResponse:
    """op: add / remove a judge, add_recusal / remove_recusal."""
    user = _user(request)
    campaign = access.get_campaign(user, pk, write=True)
    try:
        judge = _judge_user(request)
        if op == "add":
            judging.add_judge(user, campaign, judge)
            messages.success(request, f"已将“{judging.judge_name(judge)}”加入评委名单")
        elif op == "remove":
            judging.remove_judge(user, campaign, judge)
            messages.success(request, f"已将“{judging.judge_name(judge)}”移出评委名单")
        elif op in ("add_recusal", "remove_recusal"):
            raw = request.POST.get("pid", "").strip()
            if not raw.isdigit():
                raise ValidationError("请选择述职对象")
            participant = _participant(campaign, int(raw))
            if op == "add_recusal":
                judging.add_recusal(user, campaign, judge, participant, request.POST.get("reason", ""))
                messages.success(request, f"已设置回避：“{judging.judge_name(judge)}”不评"
                                          f"{judging.reporter_name(participant)}")
            else:
                judging.remove_recusal(user, campaign, judge, participant)
                messages.success(request, f"已取消“{judging.judge_name(judge)}”对"
                                          f"{judging.reporter_name(participant)}的回避")
        else:
            raise Http404("未知的操作")
    except ValidationError as e:
        _errors(request, e)
    return redirect("scoring:control", campaign.pk)
