"""Pages of export jobs: the exports a user may run (all, or for one campaign), their recent jobs with a
progress bar, the status JSON the page polls, retry of a failed job, and the download.

Thin: the access helper and shuping.exports.actions. Files are served only through `download`, which checks
that the user asked for the job and still holds the rights it was made with (never a public media URL).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import roles_required
from shuping.accounts.models import Role
from shuping.campaigns.models import Campaign
from shuping.core.downloads import attachment
from shuping.exports import actions, registry
from shuping.exports.models import JobState

# Everyone who may run at least one export: campaign-wide readers, ballot exporters, and unit-bound users.
EXPORT_USERS = (*access.EXPORT_READERS, *access.LEDGER_READERS, Role.REPORTER, Role.OWNER)


def _user(request: HttpRequest) -> Any:
    return request.user


def _offers(user: Any, campaign: Campaign | None) -> list[dict[str, Any]]:
    """The export buttons: each exporter the user may run here, and why one is not ready yet."""
    out = []
    for e in registry.for_user(user, campaign=campaign is not None):
        reason = ""
        try:
            e.check(user, campaign)
        except ValidationError as err:
            reason = "；".join(err.messages)
        out.append({"exporter": e, "reason": reason,
                    "scope": "仅本单位" if e.scope_unit_id(user) is not None else ""})
    return out


def _page(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    user = _user(request)
    jobs = list(actions.jobs_of(user, campaign)[:actions.RECENT])
    labels = {e.key: e.label for e in registry.all_exporters()}
    campaigns = [] if campaign else list(access.visible_campaigns(user).select_related("committee")
                                         .order_by("-year", "pk")[:12])
    ctx = {
        "campaign": campaign, "tab": "exports", "can_see_lots": user.has_role(*access.WIDE_READERS),
        "offers": _offers(user, campaign), "jobs": [(j, labels.get(j.kind, j.kind)) for j in jobs],
        "campaigns": campaigns, "live": any(j.state in (JobState.QUEUED, JobState.RUNNING) for j in jobs),
        "back": request.path,
    }
    return render(request, "exports/jobs/page.html", ctx)


@roles_required(*EXPORT_USERS)
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, None)


@roles_required(*EXPORT_USERS)
def campaign_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, access.get_campaign(_user(request), pk))


def _back(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    return redirect("exports:campaign", campaign.pk) if campaign else redirect("exports:home")


@require_POST
@roles_required(*EXPORT_USERS)
def request_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    raw = request.POST.get("campaign", "").strip()
    campaign = access.get_campaign(user, int(raw)) if raw.isdigit() else None
    try:
        job = actions.request_export(user, request.POST.get("kind", ""), campaign)
    except ValidationError as e:
        for m in e.messages:
            messages.error(request, m)
    else:
        messages.success(request, f"已开始生成“{registry.get(job.kind).label}”，完成后可在下方下载"  # type: ignore[union-attr]
                         if job.state != JobState.DONE else f"“{job.filename}”已生成")
    return _back(request, campaign)


@require_POST
@roles_required(*EXPORT_USERS)
def retry(request: HttpRequest, job_id: int) -> HttpResponse:
    user = _user(request)
    job = actions.get_job(user, job_id)
    try:
        actions.retry_export(user, job)
    except ValidationError as e:
        for m in e.messages:
            messages.error(request, m)
    else:
        messages.success(request, "已重新开始生成")
    return _back(request, job.campaign)


@roles_required(*EXPORT_USERS)
def status(request: HttpRequest, job_id: int) -> JsonResponse:
    job = actions.get_job(_user(request), job_id)
    return JsonResponse(actions.state_data(job), headers={"Cache-Control": "no-store"})


@roles_required(*EXPORT_USERS)
def download(request: HttpRequest, job_id: int) -> HttpResponse:
    job, fh = actions.open_file(_user(request), job_id)
    exporter = registry.get(job.kind)
    resp = FileResponse(fh, as_attachment=True, filename=job.filename,
                        content_type=exporter.content_type if exporter else "application/octet-stream")
    resp["Content-Disposition"] = attachment(job.filename)
    resp["Cache-Control"] = "no-store"
    return cast(HttpResponse, resp)
