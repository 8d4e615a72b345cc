"""述职报告 pages: the reporter writes (autosave, versions, Word import, 确认签字, submit); the organiser follows
the campaign's progress, reviews (退回修改 / 审核通过) and reminds; readers read.

Thin: the access helpers and actions in `actions.py` do the work.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import REPORT_READERS, REPORT_REVIEWERS, REPORT_WRITERS, WIDE_READERS, roles_required
from shuping.campaigns.models import CampaignState, Participant
from shuping.reports import actions
from shuping.reports.hints import PARTS, hints
from shuping.reports.models import SECTIONS, UNCLASSIFIED, Report, ReportState

NUMBERS = "一二三四五六七八九十"
ANY_ROLE = (*REPORT_READERS, *REPORT_REVIEWERS, *REPORT_WRITERS)


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, e: ValidationError) -> None:
    for m in e.messages:
        messages.error(request, m)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(report: Report) -> HttpResponse:
    return redirect("reports:report", report.pk)


def report_hints(report: Report) -> Any:
    return hints(report.sections, [a.answer for a in report.prior_answers.all()])


def hints_context(report: Report) -> dict[str, Any]:
    h = report_hints(report)
    rows = [(k, label, h.counts.get(k, 0)) for k, label in [*SECTIONS, UNCLASSIFIED]
            if k != UNCLASSIFIED[0] or h.counts.get(k)]
    return {"hints": h, "hint_rows": rows, "parts": [(k, label) for k, label, _ in PARTS]}


@roles_required(*ANY_ROLE)
def home(request: HttpRequest) -> HttpResponse:
    """Reporters: their unit's reports per campaign. Readers: every campaign with its progress."""
    user = _user(request)
    own: list[dict[str, Any]] = []
    if user.has_role(*REPORT_WRITERS) and user.unit_id:
        parts = (Participant.objects.filter(unit_id=user.unit_id, campaign__in=access.visible_campaigns(user))
                 .select_related("campaign").order_by("-campaign__year", "pk"))
        reports = {r.participant_id: r for r in Report.objects.filter(participant__in=parts)}
        own = [{"participant": p, "report": reports.get(p.pk)} for p in parts]
    campaigns = []
    if user.has_role(*REPORT_READERS, *REPORT_REVIEWERS):
        campaigns = list(access.visible_campaigns(user).select_related("committee").order_by("-year", "pk"))
    return render(request, "reports/home.html", {"own": own, "campaigns": campaigns})


def _tabs(campaign: Any, user: Any) -> dict[str, Any]:
    return {"campaign": campaign, "tab": "reports", "can_see_lots": user.has_role(*WIDE_READERS)}


@roles_required(*REPORT_READERS, *REPORT_REVIEWERS)
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    rows, counts = actions.progress(user, campaign)
    labelled = [(key, label, counts[key]) for key, label in actions.STATUS_LABELS.items()]
    return render(request, "reports/progress.html", {
        **_tabs(campaign, user), "rows": rows, "counts": labelled, "total": len(rows),
        "can_remind": user.has_role(*REPORT_REVIEWERS) and campaign.state == CampaignState.PUBLISHED,
        "n_late": sum(1 for r in rows if r.report and r.report.late)})


@require_POST
@roles_required(*REPORT_REVIEWERS)
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    ids = [int(v) for v in request.POST.getlist("participant") if v.isdigit()] or None
    try:
        n = actions.remind(user, campaign, ids, request.POST.get("comment", ""))
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, f"已向 {n} 个单位发出催报提醒")
    return redirect("reports:campaign", campaign.pk)


@roles_required(*REPORT_WRITERS)
def mine(request: HttpRequest, pk: int) -> HttpResponse:
    """The reporter's report in a campaign, created on first opening."""
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    report = actions.open_report(user, actions.own_participant(user, campaign))
    return _back(report)


@roles_required(*ANY_ROLE)
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    report = actions.get_report(user, pk)
    if actions.can_write(user, report):
        actions._sync_prior_answers(report)
    campaign = report.participant.campaign
    items = actions.prior_items(report)
    h = hints_context(report)
    sections = [{"key": k, "label": label, "text": report.sections.get(k, ""), "number": NUMBERS[i],
                 "count": h["hints"].counts.get(k, 0)} for i, (k, label) in enumerate(SECTIONS)]
    unclassified = report.sections.get(UNCLASSIFIED[0], "")
    editable = actions.can_write(user, report) and campaign.state == CampaignState.PUBLISHED
    reviews = list(report.reviews.select_related("by").order_by("-at"))
    return render(request, "reports/report.html", {
        "report": report, "campaign": campaign, "participant": report.participant, "sections": sections,
        "unclassified": unclassified, "items": items, "editable": editable,
        "is_own": actions._is_own(user, report.participant), "reviews": reviews,
        "missing": [i for i in items if i.required and not i.answer.answer.strip()],
        "can_review": user.has_role(*REPORT_REVIEWERS) and report.state == ReportState.SUBMITTED,
        "can_read_all": user.has_role(*REPORT_READERS),
        **h, "campaign_open": campaign.state == CampaignState.PUBLISHED,
        "max_docx_mb": actions.MAX_DOCX_BYTES // 1024 // 1024,
    })


def _posted_sections(request: HttpRequest) -> tuple[dict[str, str], dict[str, str]]:
    sections = {k: request.POST[f"section_{k}"] for k in actions.SECTION_KEYS if f"section_{k}" in request.POST}
    answers = {k[len("answer_"):]: str(v) for k, v in request.POST.items() if k.startswith("answer_")}
    return sections, answers


def _state_json(report: Report) -> dict[str, Any]:
    return {"revision": report.revision, "signed": report.signed_at is not None,
            "hints": report_hints(report).as_dict(),
            "missing": [i.entry.problem for i in actions.unanswered(report)]}


@require_POST
@login_required
def save(request: HttpRequest, pk: int) -> HttpResponse:
    """Autosave (JSON for the editor's script) or the plain 保存草稿 button (redirect)."""
    user = _user(request)
    report = actions.get_report(user, pk)
    sections, answers = _posted_sections(request)
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = -1
    note = "自动保存" if _wants_json(request) else "保存草稿"
    try:
        report = actions.save_draft(user, report, revision=revision, sections=sections, answers=answers, note=note)
    except actions.StaleRevision as e:
        current = e.report
        if _wants_json(request):
            return JsonResponse({"conflict": True, "message": str(e), "revision": current.revision,
                                 "sections": current.sections, "answers": actions._answers_dict(current)},
                                status=409)
        messages.error(request, f"{e}：页面已载入最新内容，请核对后重新填写")
        return _back(report)
    except ValidationError as e:
        if _wants_json(request):
            return JsonResponse({"errors": e.messages}, status=422)
        _errors(request, e)
        return _back(report)
    if _wants_json(request):
        return JsonResponse({"saved": True, **_state_json(report)})
    messages.success(request, "草稿已保存")
    return _back(report)


def _run(request: HttpRequest, pk: int, do: Any, done: str) -> HttpResponse:
    user = _user(request)
    report = actions.get_report(user, pk)
    try:
        do(user, report)
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, done)
    return _back(report)


@require_POST
@login_required
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    name = request.POST.get("name", "")
    return _run(request, pk, lambda u, r: actions.sign(u, r, name), "书记已确认签字")


@require_POST
@login_required
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(request, pk, actions.submit, "述职报告已提交，等待组织部审核")


@require_POST
@login_required
def return_report(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _run(request, pk, lambda u, r: actions.return_report(u, r, comment), "已退回修改")


@require_POST
@login_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _run(request, pk, lambda u, r: actions.approve(u, r, comment), "已审核通过")


@require_POST
@login_required
def import_word(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    report = actions.get_report(user, pk)
    actions.check_writer(user, report)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择要导入的 Word 文件（.docx）")
        return _back(report)
    if upload.size is not None and upload.size > actions.MAX_DOCX_BYTES:
        # Refuse before reading: nothing of the file is kept.
        messages.error(request, f"文件“{upload.name}”超过 {actions.MAX_DOCX_BYTES // 1024 // 1024} MB，不能导入")
        return _back(report)
    try:
        report, warnings = actions.import_docx(user, report, upload.read(), upload.name or "")
    except ValidationError as e:
        _errors(request, e)
        return _back(report)
    messages.success(request, f"已导入“{upload.name}”，原内容已保存为历史版本")
    for w in warnings:
        messages.warning(request, w)
    if report.sections.get(UNCLASSIFIED[0], "").strip():
        messages.warning(request, "有部分内容未能识别所属部分，已放在“未归类”中，请移到相应部分")
    return _back(report)


@roles_required(*ANY_ROLE)
def versions(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    report = actions.get_report(user, pk)
    return render(request, "reports/versions.html", {
        "report": report, "participant": report.participant,
        "versions": list(report.versions.select_related("saved_by").order_by("-number")),
        "editable": actions.can_write(user, report)})


@roles_required(*ANY_ROLE)
def version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user = _user(request)
    report = actions.get_report(user, pk)
    v = report.versions.select_related("saved_by").filter(number=number).first()
    if v is None:
        raise Http404("该版本不存在")
    problems = {str(a.entry_id): a.entry.problem for a in report.prior_answers.select_related("entry")}
    sections = [{"label": label, "text": v.sections.get(k, "")} for k, label in [*SECTIONS, UNCLASSIFIED]
                if k != UNCLASSIFIED[0] or v.sections.get(k)]
    answers = [{"problem": problems.get(k, f"问题 {k}"), "answer": a} for k, a in v.answers.items()]
    return render(request, "reports/version.html", {
        "report": report, "participant": report.participant, "v": v, "sections": sections, "answers": answers,
        "editable": actions.can_write(user, report)})


@require_POST
@login_required
def restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _run(request, pk, lambda u, r: actions.restore_version(u, r, number),
                f"已将第 {number} 版恢复到草稿（原内容已保存为历史版本）")
