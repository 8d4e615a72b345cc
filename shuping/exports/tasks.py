"""The background task that builds an export job's file (django-tasks; `shuping worker` runs it).

`run_export(job_id)` takes the primary key only (the job row holds everything else), and is enqueued after
the request's transaction commits (shuping.exports.actions). It moves the job queued → running → done or
failed, reports progress as it goes, stores the file beside the job (never under a public URL) and appends
an audit event with the file's sha256. A job that is no longer queued is left alone, so a task delivered
twice does the work once.
"""

from __future__ import annotations

import hashlib
import logging
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django_tasks import task

from shuping.audit.log import record
from shuping.exports import registry
from shuping.exports.models import ExportJob, JobState

log = logging.getLogger(__name__)


def _progress(job_id: int) -> registry.Progress:
    def report(percent: int, message: str) -> None:
        ExportJob.objects.filter(pk=job_id, state=JobState.RUNNING).update(
            progress=max(0, min(99, int(percent))), message=message[:200])
    return report


def _reason(e: BaseException) -> str:
    if isinstance(e, ValidationError):
        return "；".join(e.messages)
    if isinstance(e, PermissionDenied | Http404):
        return str(e) or "无权导出"
    return f"生成文件时出错（{type(e).__name__}），请重试；如仍失败请联系系统管理员"


def _stored_name(job: ExportJob, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"job-{job.pk}.{re.sub(r'[^A-Za-z0-9]', '', ext)[:8] or 'bin'}"


@task()
def run_export(job_id: int) -> None:
    with transaction.atomic():
        job = (ExportJob.objects.select_for_update().filter(pk=job_id, state=JobState.QUEUED).first())
        if job is None:
            return
        job.state, job.started_at, job.progress, job.message = JobState.RUNNING, timezone.now(), 1, "开始生成"
        job.save(update_fields=["state", "started_at", "progress", "message"])
    job = ExportJob.objects.select_related("campaign", "requested_by", "unit").get(pk=job_id)
    exporter = registry.get(job.kind)
    try:
        if exporter is None:
            raise ValidationError(f"未知的导出内容“{job.kind}”")
        # Roles may have changed since the request: the requester must still be allowed, with the same scope.
        if exporter.scope_unit_id(job.requested_by) != job.unit_id:
            raise PermissionDenied("您的权限已变化，不能再导出此内容")
        exporter.check(job.requested_by, job.campaign)
        filename, data = exporter.build(job, _progress(job.pk))
    except Exception as e:
        if not isinstance(e, ValidationError | PermissionDenied | Http404):
            log.exception("export job %s (%s) failed", job.pk, job.kind)
        with transaction.atomic():
            ExportJob.objects.filter(pk=job.pk).update(state=JobState.FAILED, error=_reason(e),
                                                       finished_at=timezone.now(), message="")
            record(job.requested_by, "exports.failed", job, f"导出失败：{exporter.label if exporter else job.kind}",
                   {"kind": job.kind, "campaign": job.campaign_id, "unit": job.unit_id, "error": _reason(e)})
        return
    job.file.save(_stored_name(job, filename), ContentFile(data), save=False)
    with transaction.atomic():
        job.filename, job.size = filename[:200], len(data)
        job.state, job.progress, job.message, job.finished_at = JobState.DONE, 100, "已完成", timezone.now()
        job.error = ""
        job.save(update_fields=["file", "filename", "size", "state", "progress", "message", "finished_at", "error"])
        record(job.requested_by, "exports.done", job, f"生成导出文件“{filename}”（{len(data)} 字节）",
               {"kind": job.kind, "campaign": job.campaign_id, "unit": job.unit_id, "filename": filename,
                "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
