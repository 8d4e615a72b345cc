"""JSON API of export jobs: the exports a user may run, create a job, its status, the file.

The same actions as the jobs pages (shuping.exports.actions): a unit-bound user's job is scoped to their
unit; a user sees and downloads only their own jobs.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.responses import Status

from shuping.accounts import access
from shuping.core.downloads import attachment
from shuping.exports import actions, registry

router = Router(tags=["导出任务"])


class KindOut(Schema):
    key: str = Field(description="导出内容代码")
    label: str
    extension: str = Field(description="文件类型：xlsx / docx / pdf …")
    description: str
    needs_campaign: bool
    unit_only: bool = Field(description="是否只含本人所在单位（述职人、整改责任人）")
    ready: bool = Field(description="现在能否导出（如考核结果是否已公布）")
    reason: str = Field(description="不能导出的原因")


class JobIn(Schema):
    kind: str = Field(description="导出内容代码，见 GET /exports/kinds")
    campaign_id: int | None = Field(None, description="考核方案 ID（整改台账可不填）")


class JobOut(Schema):
    id: int
    kind: str
    label: str
    campaign_id: int | None
    unit_id: int | None = Field(description="仅含该单位时的单位 ID")
    state: str = Field(description="queued 排队中 / running 生成中 / done 已完成 / failed 失败")
    state_label: str
    progress: int = Field(description="进度 0–100")
    message: str
    error: str = Field(description="失败原因")
    filename: str
    size: int = Field(description="文件字节数")
    created_at: str | None
    finished_at: str | None
    download_url: str | None = Field(description="完成后下载文件的地址（网页）；API 用 GET /exports/jobs/{id}/file")


def _user(request: HttpRequest) -> Any:
    return request.user


@router.get("/exports/kinds", response=list[KindOut])
def kinds(request: HttpRequest, campaign_id: int | None = None) -> list[dict[str, Any]]:
    from django.core.exceptions import ValidationError

    user = _user(request)
    campaign = access.get_campaign(user, campaign_id) if campaign_id else None
    out = []
    for e in registry.all_exporters():
        if not e.may_run(user) or (e.needs_campaign and campaign is None):
            continue
        reason = ""
        try:
            e.check(user, campaign)
        except ValidationError as err:
            reason = "；".join(err.messages)
        out.append({**registry.describe(e), "needs_campaign": e.needs_campaign,
                    "unit_only": e.scope_unit_id(user) is not None, "ready": not reason, "reason": reason})
    return out


@router.post("/exports/jobs", response={201: JobOut})
def create(request: HttpRequest, data: JobIn) -> Status:
    user = _user(request)
    campaign = access.get_campaign(user, data.campaign_id) if data.campaign_id else None
    job = actions.request_export(user, data.kind, campaign)
    return Status(201, actions.state_data(job))


@router.get("/exports/jobs", response=list[JobOut])
def list_jobs(request: HttpRequest, campaign_id: int | None = None) -> list[dict[str, Any]]:
    user = _user(request)
    campaign = access.get_campaign(user, campaign_id) if campaign_id else None
    return [actions.state_data(j) for j in actions.jobs_of(user, campaign)[:actions.RECENT]]


@router.get("/exports/jobs/{job_id}", response=JobOut)
def status(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return actions.state_data(actions.get_job(_user(request), job_id))


@router.post("/exports/jobs/{job_id}/retry", response={201: JobOut})
def retry(request: HttpRequest, job_id: int) -> Status:
    user = _user(request)
    job = actions.retry_export(user, actions.get_job(user, job_id))
    return Status(201, actions.state_data(job))


@router.get("/exports/jobs/{job_id}/file")
def file(request: HttpRequest, job_id: int) -> HttpResponse:
    job, fh = actions.open_file(_user(request), job_id)
    exporter = registry.get(job.kind)
    resp = FileResponse(fh, as_attachment=True, filename=job.filename,
                        content_type=exporter.content_type if exporter else "application/octet-stream")
    resp["Content-Disposition"] = attachment(job.filename)
    resp["Cache-Control"] = "no-store"
    return cast(HttpResponse, resp)
