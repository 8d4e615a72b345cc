"""Pages of 考核结果: the results page with its workflow buttons and explanations, follow-ups, the observer's
check, and a reporter's own result.

Thin: the access helper, then one action from shuping.results.actions; what a page shows comes from the
stored sheet through shuping.results.explain (no recomputation on display). An explanation answers an
htmx request with a fragment for the side panel and a plain request with a full page, so every number is
a working link without JavaScript too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import (
    RESULT_MANAGERS,
    RESULT_READERS,
    RESULT_SIGNERS,
    WIDE_READERS,
    roles_required,
)
from shuping.accounts.models import Role
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.results import actions, explain
from shuping.results.models import FollowUp, FollowUpKind, ResultSheet, SheetState

HOME_READERS = (*RESULT_READERS, Role.REPORTER)
VERIFIERS = (Role.ORGANISER, Role.OBSERVER)
MINE_READERS = (Role.REPORTER,)
GRADE_CHOICES = ("好", "较好")
REOPEN_STATES = (SheetState.SUBMITTED, SheetState.REVIEWED, SheetState.SIGNED, SheetState.PUBLISHED)
SAME_PERSON = "审核须由统分、提交以外的另一位工作人员进行"


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, e: ValidationError) -> None:
    for m in e.messages:
        messages.error(request, m)


def _sheet(campaign: Campaign) -> ResultSheet | None:
    return (ResultSheet.objects.filter(campaign=campaign)
            .select_related("campaign", "computed_by", "submitted_by", "reviewed_by", "signed_by", "published_by")
            .first())


def _sheet_of(user: Any, pk: int) -> ResultSheet:
    campaign = access.get_campaign(user, pk)
    sheet = _sheet(campaign)
    if sheet is None:
        raise Http404("尚未统分")
    return sheet


def _decisions(sheet: ResultSheet) -> dict[str, dict[str, str]]:
    return {str(d.participant_id): {"grade": d.grade, "reason": d.reason, "by": str(d.decided_by)}
            for d in sheet.decisions.select_related("decided_by")}


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _tabs(campaign: Campaign, user: Any) -> dict[str, Any]:
    return {"campaign": campaign, "tab": "results", "can_see_lots": user.has_role(*WIDE_READERS)}


# ---------------------------------------------------------------- pages

@roles_required(*HOME_READERS)
def home(request: HttpRequest) -> HttpResponse:
    """Readers: every campaign they may see with its result state. Reporters: their unit's published results."""
    user = _user(request)
    campaigns = []
    if user.has_role(*RESULT_READERS):
        campaigns = list(access.visible_campaigns(user).exclude(state=CampaignState.DRAFT)
                         .select_related("committee", "result_sheet").order_by("-year", "committee__code", "pk"))
    own: list[ResultSheet] = []
    if user.has_role(Role.REPORTER) and user.unit_id:
        own = list(ResultSheet.objects.filter(state=SheetState.PUBLISHED, rows__participant__unit_id=user.unit_id)
                   .select_related("campaign").order_by("-campaign__year"))
    rows = []
    for c in campaigns:
        sheet = getattr(c, "result_sheet", None)
        rows.append({"campaign": c, "sheet": sheet})
    return render(request, "results/home.html", {"rows": rows, "own": own,
                                                 "is_reader": user.has_role(*RESULT_READERS)})


@roles_required(*RESULT_READERS)
def campaign_results(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    sheet = _sheet(campaign)
    may_manage = user.has_role(*RESULT_MANAGERS)
    ctx: dict[str, Any] = {
        **_tabs(campaign, user), "sheet": sheet, "may_manage": may_manage,
        "may_sign": user.has_role(*RESULT_SIGNERS), "may_verify": user.has_role(*VERIFIERS),
        "tallying": campaign.state == CampaignState.TALLYING,
        "campaign_state": campaign.get_state_display(),
    }
    if sheet is not None:
        rows = explain.table(sheet.inputs, sheet.outputs)
        decisions = _decisions(sheet)
        ctx.update({
            "rows": rows,
            "averages": explain.averages(sheet.outputs),
            "quota": explain.quota_text(sheet.inputs, sheet.outputs),
            "ties": [(r, decisions.get(r.key)) for r in rows if r.quota_tie],
            "grade_choices": GRADE_CHOICES,
            "box": sheet.inputs.get("details", {}).get("ballot", {}).get("box"),
            "review_blocked": SAME_PERSON if user.pk in (sheet.computed_by_id, sheet.submitted_by_id) else "",
            "may_reopen": may_manage and sheet.state in REOPEN_STATES,
            "digest_short": sheet.input_digest[:12],
        })
    return render(request, "results/campaign.html", ctx)


@roles_required(*RESULT_READERS)
def explanation(request: HttpRequest, pk: int, key: str, what: str) -> HttpResponse:
    sheet = _sheet_of(_user(request), pk)
    try:
        ex = explain.explain(sheet.inputs, sheet.outputs, key, what, decisions=_decisions(sheet))
    except KeyError:
        raise Http404("没有这一项") from None
    return _render_explanation(request, sheet, ex)


@roles_required(*RESULT_READERS)
def average(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    sheet = _sheet_of(_user(request), pk)
    try:
        ex = explain.explain_average(sheet.outputs, sheet.inputs, name)
    except KeyError:
        raise Http404("没有这一项") from None
    return _render_explanation(request, sheet, ex)


def _render_explanation(request: HttpRequest, sheet: ResultSheet, ex: explain.Explanation) -> HttpResponse:
    ctx = {"ex": ex, "sheet": sheet, "campaign": sheet.campaign, "names": True}
    if _is_htmx(request):
        return render(request, "results/_explain.html", ctx)
    return render(request, "results/explain.html", ctx)


@roles_required(*MINE_READERS)
def mine(request: HttpRequest, pk: int) -> HttpResponse:
    """A reporter's own published result: own numbers, group averages, judge totals without names."""
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    sheet = _sheet(campaign)
    if sheet is None or sheet.state != SheetState.PUBLISHED or not user.unit_id:
        raise Http404("考核结果尚未公布")
    pid = sheet.rows.filter(participant__unit_id=user.unit_id).values_list("participant_id", flat=True).first()
    if pid is None or not explain.has_row(sheet.outputs, str(pid)):
        raise Http404("考核结果不存在或无权查看")
    key = str(pid)
    parts = {what: explain.explain(sheet.inputs, sheet.outputs, key, what, names=False)
             for what in explain.WHATS}
    row = next(r for r in explain.table(sheet.inputs, sheet.outputs) if r.key == key)
    avg = dict(explain.averages(sheet.outputs))
    return render(request, "results/mine.html", {
        "campaign": campaign, "sheet": sheet, "row": row, "parts": parts,
        "components": [parts[c] for c in ("judging", "ballot", "routine", "rectification")],
        "lines": [(p, avg[p["name"]]) for p in parts["composite"].data["parts"]],
        "composite_average": avg["composite"], "n": sheet.outputs.get("n", 0), "names": False,
    })


@roles_required(*RESULT_READERS)
def follow_ups(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    order = {kind: i for i, kind in enumerate(FollowUpKind.values)}  # 约谈, 通报批评, 限期整改
    items = sorted(FollowUp.objects.filter(campaign=campaign).select_related("participant__unit", "participant__secretary"),
                   key=lambda f: (f.participant.speaking_order is None, f.participant.speaking_order or 0,
                                  f.participant.unit.sort_order, order.get(f.kind, 99)))
    return render(request, "results/follow_ups.html", {
        **_tabs(campaign, user), "items": items, "may_edit": user.has_role(*RESULT_MANAGERS),
        "sheet": _sheet(campaign)})


# ---------------------------------------------------------------- workflow (POST)

def _back(pk: int) -> HttpResponse:
    return redirect("results:campaign", pk)


def _run(request: HttpRequest, pk: int, do: Callable[[], Any], done: str) -> HttpResponse:
    try:
        do()
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, done)
    return _back(pk)


@require_POST
@roles_required(*RESULT_MANAGERS)
def compute(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    return _run(request, pk, lambda: actions.compute_results(user, campaign), "已统分")


@require_POST
@roles_required(*RESULT_MANAGERS)
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    sheet = _sheet_of(user, pk)
    return _run(request, pk, lambda: actions.submit_results(user, sheet), "已提交审核")


@require_POST
@roles_required(*RESULT_MANAGERS)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    sheet = _sheet_of(user, pk)
    approve = request.POST.get("decision") == "approve"
    note = request.POST.get("note", "")
    return _run(request, pk, lambda: actions.review_results(user, sheet, approve, note),
                "审核通过" if approve else "已退回")


@require_POST
@roles_required(*RESULT_SIGNERS)
def decide(request: HttpRequest, pk: int, participant_id: int) -> HttpResponse:
    user = _user(request)
    sheet = _sheet_of(user, pk)
    participant = get_object_or_404(Participant.objects.select_related("unit"), pk=participant_id,
                                     campaign=sheet.campaign)
    grade = request.POST.get("grade", "")
    reason = request.POST.get("reason", "")
    return _run(request, pk, lambda: actions.decide_grade(user, sheet, participant, grade, reason),
                f"已记录领导小组决定：{participant.unit.name}为“{grade}”")


@require_POST
@roles_required(*RESULT_SIGNERS)
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    sheet = _sheet_of(user, pk)
    return _run(request, pk, lambda: actions.sign_results(user, sheet, request.POST.get("reference", "")), "已签批")


@require_POST
@roles_required(*RESULT_MANAGERS)
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    sheet = _sheet_of(user, pk)
    return _run(request, pk, lambda: actions.publish_results(user, sheet), "已公布考核结果")


@require_POST
@roles_required(*RESULT_MANAGERS)
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    sheet = _sheet_of(user, pk)
    return _run(request, pk, lambda: actions.reopen_results(user, sheet, request.POST.get("reason", "")),
                "已重新打开考核结果")


@require_POST
@roles_required(*VERIFIERS)
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    """核对 is audited (who checked, what they found), hence a POST; the answer is shown at once."""
    user = _user(request)
    sheet = _sheet_of(user, pk)
    result = actions.verify_results(user, sheet)
    return render(request, "results/verify.html", {**_tabs(sheet.campaign, user), "sheet": sheet,
                                                   "check": result})


def _date(request: HttpRequest, name: str, label: str) -> date | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{label}“{raw}”不是有效日期（格式：2026-03-31）") from None


@require_POST
@roles_required(*RESULT_MANAGERS)
def follow_up_edit(request: HttpRequest, pk: int, follow_up_id: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    fu = get_object_or_404(FollowUp.objects.select_related("participant__unit"), pk=follow_up_id, campaign=campaign)
    try:
        change = actions.FollowUpChange(
            responsible=request.POST.get("responsible", ""),
            due_date=_date(request, "due_date", "完成时限"),
            done_at=_date(request, "done_at", "完成日期"),
            note=request.POST.get("note", ""))
        actions.update_follow_up(user, fu, change)
    except ValidationError as e:
        for m in e.messages:
            messages.error(request, f"{fu.participant.unit.name} {fu.get_kind_display()}：{m}")
    else:
        messages.success(request, f"已保存{fu.participant.unit.name}的{fu.get_kind_display()}")
    return redirect("results:follow_ups", pk)

