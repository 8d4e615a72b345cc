"""Campaign pages: list, create/edit, detail with state changes, scheme, participants and lot draws.

Thin: every view goes through the access helper, then calls one action from campaigns.actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import AUDIT_READERS, CAMPAIGN_EDITORS, WIDE_READERS, roles_required
from shuping.accounts.models import Role
from shuping.audit.models import AuditEvent
from shuping.campaigns import actions
from shuping.campaigns.forms import (
    AddUnitsForm,
    CampaignForm,
    DrawForm,
    ParticipantForm,
    scheme_from_post,
    scheme_view,
)
from shuping.campaigns.models import BACKWARD, Campaign, CampaignState, Participant, ParticipantMode
from shuping.orgs.models import Unit, UnitCategory

# Anyone with a role may open the campaign pages; what they see is narrowed by the access helper.
READERS = tuple(Role.values)


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, e: ValidationError) -> None:
    for m in e.messages:
        messages.error(request, m)


def _participant(request: HttpRequest, campaign: Campaign, pid: int) -> Participant:
    return get_object_or_404(Participant.objects.select_related("unit", "secretary", "campaign"),
                             pk=pid, campaign=campaign)


def _tabs(campaign: Campaign, active: str, user: Any) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "tab": active,
        "can_edit": user.has_role(*CAMPAIGN_EDITORS),
        "can_see_lots": user.has_role(*WIDE_READERS),
    }


@roles_required(*READERS)
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    qs = access.visible_campaigns(user).select_related("committee").annotate(
        n_participants=Count("participants"),
        n_onsite=Count("participants", filter=Q(participants__mode=ParticipantMode.ONSITE)),
    )
    year = request.GET.get("year", "").strip()
    state = request.GET.get("state", "").strip()
    if year.isdigit():
        qs = qs.filter(year=int(year))
    if state in CampaignState.values:
        qs = qs.filter(state=state)
    years = access.visible_campaigns(user).order_by("-year").values_list("year", flat=True).distinct()
    return render(request, "campaigns/list.html", {
        "campaigns": qs.order_by("-year", "committee__code"),
        "years": list(years), "states": CampaignState.choices, "year": year, "state": state,
        "can_edit": user.has_role(*CAMPAIGN_EDITORS),
    })


@roles_required(*CAMPAIGN_EDITORS)
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            c = actions.create_campaign(_user(request), year=d["year"], title=d["title"], committee=d["committee"],
                                        meeting_date=d["meeting_date"], report_deadline=d["report_deadline"])
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
        else:
            messages.success(request, f"已创建考核方案“{c.title}”，请完善考核规则和述职对象")
            return redirect("campaigns:detail", c.pk)
    return render(request, "campaigns/form.html", {"form": form, "campaign": None})


@roles_required(*CAMPAIGN_EDITORS)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    initial = {"year": c.year, "title": c.title, "committee": c.committee, "meeting_date": c.meeting_date,
               "report_deadline": c.report_deadline}
    form = CampaignForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.update_campaign(user, c, title=d["title"], year=d["year"], meeting_date=d["meeting_date"],
                                    report_deadline=d["report_deadline"])
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
        else:
            messages.success(request, "已保存基本信息")
            return redirect("campaigns:detail", c.pk)
    return render(request, "campaigns/form.html", {"form": form, "campaign": c})


def _state_steps(current: str) -> list[tuple[str, str, str]]:
    states = list(CampaignState)
    here = states.index(CampaignState(current))
    return [(s.value, str(s.label), "done" if i < here else "current" if i == here else "todo")
            for i, s in enumerate(states)]


@roles_required(*READERS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk)
    counts = c.participants.aggregate(
        total=Count("id"), onsite=Count("id", filter=Q(mode=ParticipantMode.ONSITE)),
        written=Count("id", filter=Q(mode=ParticipantMode.WRITTEN)))
    ctx = _tabs(c, "detail", user)
    ctx.update({
        "counts": counts if access.is_wide_reader(user) else None,
        "next_states": [(s, CampaignState(s).label, (c.state, s) in BACKWARD) for s in c.next_states()],
        "publish_problems": actions.publish_problems(c) if c.state == CampaignState.DRAFT and ctx["can_edit"] else [],
        "history": None,
        "all_states": _state_steps(c.state),
    })
    if user.has_role(*AUDIT_READERS):
        ctx["history"] = AuditEvent.objects.filter(
            object_type="campaigns.campaign", object_id=str(c.pk)).order_by("-seq")[:300]
    return render(request, "campaigns/detail.html", ctx)


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def transition(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    try:
        c = actions.transition(user, c, request.POST.get("to", ""), request.POST.get("reason", ""))
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, f"考核方案已变为“{c.get_state_display()}”")
    return redirect("campaigns:detail", c.pk)


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def copy(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    try:
        new = actions.copy_campaign(user, c)
    except ValidationError as e:
        _errors(request, e)
        return redirect("campaigns:detail", c.pk)
    messages.success(request, f"已复制为“{new.title}”（草拟），请核对考核规则和述职对象")
    return redirect("campaigns:detail", new.pk)


# ---------------------------------------------------------------- scheme


@roles_required(*READERS)
def scheme(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk)
    ctx = _tabs(c, "scheme", user)
    ctx["s"] = scheme_view(c.scheme)
    return render(request, "campaigns/scheme.html", ctx)


@roles_required(*CAMPAIGN_EDITORS)
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor; read-only once the campaign is published."""
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    data = c.scheme
    errors: list[str] = []
    if request.method == "POST":
        data = scheme_from_post(request.POST)
        try:
            actions.update_scheme(user, c, data)
        except ValidationError as e:
            errors = e.messages
        else:
            messages.success(request, "考核规则已保存")
            return redirect("campaigns:scheme", c.pk)
    ctx = _tabs(c, "scheme", user)
    ctx.update({"s": scheme_view(data), "errors": errors, "readonly": c.scheme_frozen})
    return render(request, "campaigns/scheme_edit.html", ctx, status=422 if errors else 200)


# ---------------------------------------------------------------- participants


@roles_required(*READERS)
def participants(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk)
    # Plain rows, not model instances: this page lists a few hundred participants and must stay fast.
    rows = list(access.participants_visible_in(user, c).order_by(
        "mode", "speaking_order", "unit__sort_order", "unit__code").values(
        "id", "mode", "speaking_order", "draw_group", "unit__name", "unit__category", "secretary__name"))
    ctx = _tabs(c, "participants", user)
    ctx.update({
        "onsite": [p for p in rows if p["mode"] == ParticipantMode.ONSITE],
        "written": [p for p in rows if p["mode"] == ParticipantMode.WRITTEN],
        "base": reverse("campaigns:participants", args=[c.pk]),
        "open": c.state in actions.PARTICIPANTS_OPEN and ctx["can_edit"],
        "own_only": not access.is_wide_reader(user),
    })
    return render(request, "campaigns/participants.html", ctx)


@roles_required(*CAMPAIGN_EDITORS)
def participants_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    category = request.GET.get("category", "")
    q = request.GET.get("q", "").strip()
    # Secretaries one level down report to the committee; other units only when asked for.
    everywhere = request.GET.get("scope") == "all"
    candidates = (Unit.objects.filter(active=True).exclude(pk=c.committee_id)
                  .exclude(participations__campaign=c).select_related("secretary").order_by("sort_order", "code"))
    if not everywhere:
        candidates = candidates.filter(parent_id=c.committee_id)
    shown = candidates
    if category in UnitCategory.values:
        shown = shown.filter(category=category)
    if q:
        shown = shown.filter(Q(name__icontains=q) | Q(code__icontains=q))
    form = AddUnitsForm(request.POST or None, candidates=candidates, initial={"mode": ParticipantMode.ONSITE})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        units = list(d["units"])
        if d["category"]:
            units += list(candidates.filter(category=d["category"]))
        try:
            added = actions.add_participants(user, c, units, mode=d["mode"], draw_group=d["draw_group"])
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
        else:
            messages.success(request, f"已添加 {len(added)} 个述职对象")
            return redirect("campaigns:participants", c.pk)
    ctx = _tabs(c, "participants", user)
    ctx.update({"form": form, "shown": shown[:500], "shown_count": shown.count(), "category": category, "q": q,
                "categories": UnitCategory.choices, "everywhere": everywhere})
    return render(request, "campaigns/participants_add.html", ctx)


@roles_required(*CAMPAIGN_EDITORS)
def participant_edit(request: HttpRequest, pk: int, pid: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    p = _participant(request, c, pid)
    form = ParticipantForm(request.POST or None, unit=p.unit, initial={
        "secretary": p.secretary, "mode": p.mode, "speaking_order": p.speaking_order, "draw_group": p.draw_group})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.update_participant(user, p, secretary=d["secretary"], mode=d["mode"],
                                       speaking_order=d["speaking_order"], draw_group=d["draw_group"])
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
        else:
            messages.success(request, f"已保存“{p.unit.name}”")
            return redirect("campaigns:participants", c.pk)
    ctx = _tabs(c, "participants", user)
    ctx.update({"form": form, "p": p})
    return render(request, "campaigns/participant_form.html", ctx)


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def participant_remove(request: HttpRequest, pk: int, pid: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    p = _participant(request, c, pid)
    try:
        actions.remove_participant(user, p)
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, f"已移除“{p.unit.name}”")
    return redirect("campaigns:participants", c.pk)


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def participant_move(request: HttpRequest, pk: int, pid: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    p = _participant(request, c, pid)
    try:
        actions.move_participant(user, p, request.POST.get("direction", ""))
    except ValidationError as e:
        _errors(request, e)
    return redirect(reverse("campaigns:participants", args=[c.pk]) + f"#p{p.pk}")


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def participants_order(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    try:
        ids = [int(x) for x in request.POST.getlist("order")]
        actions.set_speaking_order(user, c, ids)
    except ValueError:
        messages.error(request, "述职顺序数据不正确")
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, "已保存现场述职顺序")
    return redirect("campaigns:participants", c.pk)


# ---------------------------------------------------------------- drawing by lot


@roles_required(*WIDE_READERS)
def lots(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk)
    groups = actions.draw_groups(c)
    names = dict(c.participants.values_list("unit__code", "unit__name"))
    history = []
    for lot in c.lot_draws.select_related("drawn_by"):
        ok, again = actions.replay(lot)
        history.append({"lot": lot, "ok": ok, "again": [names.get(code, code) for code in again],
                        "drawn": [names.get(code, code) for code in lot.drawn],
                        "candidates": [names.get(code, code) for code in lot.candidates]})
    ctx = _tabs(c, "lots", user)
    ctx.update({"form": DrawForm(groups=groups), "groups": groups, "history": history,
                "open": c.state in actions.PARTICIPANTS_OPEN and ctx["can_edit"]})
    return render(request, "campaigns/lots.html", ctx)


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def lots_draw(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = access.get_campaign(user, pk, write=True)
    form = DrawForm(request.POST, groups=actions.draw_groups(c))
    if not form.is_valid():
        for f in form:
            for m in f.errors:
                messages.error(request, f"{f.label}：{m}")
        return redirect("campaigns:lots", c.pk)
    try:
        lot = actions.draw_lots(user, c, form.cleaned_data["group"], form.cleaned_data["count"])
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, f"抽签完成（种子 {lot.seed}），抽中的述职对象已排入现场述职顺序")
    return redirect("campaigns:lots", c.pk)
