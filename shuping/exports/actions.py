"""Export job actions: request (and retry) an export, read one's own jobs, open a finished file.

Pages and the JSON API call these. A request is authorised here (the exporter's roles; a unit-bound user's
job is scoped to their unit), recorded in the audit log, and the build is queued after the transaction
commits with the job's primary key only (shuping.exports.tasks.run_export). A user sees and downloads their
own jobs, and only while they still hold the rights the job was made with.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from shuping.accounts.access import get_campaign
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.campaigns.models import Campaign
from shuping.exports import registry
from shuping.exports.models import ExportJob, JobState

RECENT = 30


def exporter_of(kind: str) -> registry.Exporter:
    e = registry.get(kind)
    if e is None:
        raise ValidationError(f"没有“{kind}”这种导出内容")
    return e


def request_export(actor: User, kind: str, campaign: Campaign | None, params: dict[str, Any] | None = None
                   ) -> ExportJob:
    """Queue an export. The same export still queued or running for this user is returned instead."""
    exporter = exporter_of(kind)
    if not exporter.may_run(actor):
        raise PermissionDenied(f"您没有导出“{exporter.label}”的权限")
    if exporter.needs_campaign:
        if campaign is None:
            raise ValidationError(f"导出“{exporter.label}”须选择考核方案")
        campaign = get_campaign(actor, campaign.pk)
    elif campaign is not None:
        campaign = get_campaign(actor, campaign.pk)
    unit_id = exporter.scope_unit_id(actor)
    exporter.check(actor, campaign)
    params = dict(params or {})
    with transaction.atomic():
        scope: dict[str, Any] = {"unit__isnull": True} if unit_id is None else {"unit_id": unit_id}
        pending = ExportJob.objects.filter(requested_by=actor, kind=kind, campaign=campaign, params=params,
                                           state__in=(JobState.QUEUED, JobState.RUNNING), **scope).first()
        if pending is not None:
            return pending
        job = ExportJob.objects.create(kind=kind, campaign=campaign, unit_id=unit_id, params=params,
                                       requested_by=actor)
        where = f"“{campaign.title}”" if campaign else ""
        scoped = "（仅本单位）" if unit_id else ""
        record(actor, "exports.request", job, f"申请导出{where}{exporter.label}{scoped}",
               {"kind": kind, "campaign": campaign.pk if campaign else None, "unit": unit_id, "params": params})
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from shuping.exports.tasks import run_export

    run_export.enqueue(job_id)


def retry_export(actor: User, job: ExportJob) -> ExportJob:
    """A failed job asked again: a new job with the same content."""
    job = get_job(actor, job.pk)
    if job.state != JobState.FAILED:
        raise ValidationError("只有失败的导出任务可以重试")
    return request_export(actor, job.kind, job.campaign, job.params)


def jobs_of(user: User, campaign: Campaign | None = None) -> QuerySet[ExportJob]:
    qs = ExportJob.objects.filter(requested_by=user).select_related("campaign", "unit")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.order_by("-created_at", "-pk")


def get_job(user: User, pk: int) -> ExportJob:
    """One of the user's own jobs (404 for anyone else's)."""
    if not user.is_authenticated:
        raise PermissionDenied("请先登录")
    job = ExportJob.objects.select_related("campaign", "unit", "requested_by").filter(pk=pk, requested_by=user).first()
    if job is None:
        raise Http404("导出任务不存在或无权查看")
    return job


def open_file(user: User, pk: int) -> tuple[ExportJob, Any]:
    """A finished job's file, for its requester while they still may run that export with the same scope."""
    job = get_job(user, pk)
    if job.state != JobState.DONE or not job.file:
        raise Http404("文件尚未生成")
    exporter = exporter_of(job.kind)
    if exporter.scope_unit_id(user) != job.unit_id:
        raise PermissionDenied("您的权限已变化，不能再下载此文件")
    if job.campaign_id:
        get_campaign(user, job.campaign_id)
    try:
        fh = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件已不存在，请重新导出") from None
    return job, fh


def state_data(job: ExportJob) -> dict[str, Any]:
    """What the jobs page polls: JSON-ready."""
    from django.urls import reverse

    exporter = registry.get(job.kind)
    return {
        "id": job.pk, "kind": job.kind, "label": exporter.label if exporter else job.kind,
        "campaign_id": job.campaign_id, "unit_id": job.unit_id,
        "state": job.state, "state_label": str(JobState(job.state).label), "progress": job.progress,
        "message": job.message, "error": job.error, "filename": job.filename, "size": job.size,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "download_url": reverse("exports:download", args=[job.pk]) if job.state == JobState.DONE else None,
        "finished": job.state in (JobState.DONE, JobState.FAILED),
    }
