"""JSON API of 述职报告: the same actions and access rules as the pages.

A reporter reads and writes their own unit's report (others answer 404); the organiser reviews, reminds and
reads the progress; observers and chairs read. Saving sends the `revision` the text was edited from: a stale
save answers 409 with the current text and revision, and nothing is saved.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from shuping.accounts import access
from shuping.reports import actions
from shuping.reports.hints import hints
from shuping.reports.models import Report

router = Router(tags=["述职报告"])


class PriorItemOut(Schema):
    entry_id: int = Field(description="整改台账条目 ID（answers 的键）")
    problem: str
    source: str = Field(description="commentary 点评 / ballot 民主测评意见 / inspection 督查 / self 自查 / import 导入")
    source_label: str
    year: int | None = Field(description="提出问题的考核年度")
    deadline: date | None = Field(description="整改时限")
    answer: str = Field(description="本报告对该问题的整改情况")
    required: bool = Field(description="问题仍未销号：提交前必须填写")


class ReviewOut(Schema):
    action: str = Field(description="return 退回修改 / approve 审核通过 / remind 催报")
    action_label: str
    comment: str
    by: str
    at: datetime


class ShareOut(Schema):
    key: str = Field(description="achievements 成绩 / problems 问题 / measures 措施")
    label: str
    words: int
    percent: int


class HintsOut(Schema):
    counts: dict[str, int] = Field(description="各部分字数（上年度问题整改情况含逐条答复）")
    total: int
    shares: list[ShareOut] = Field(description="成绩、问题、措施的比例（建议各约三分之一）")
    notes: list[str] = Field(description="比例明显失衡时的提示")


class ReportOut(Schema):
    id: int
    campaign_id: int
    participant_id: int
    unit: str
    secretary: str
    state: str = Field(description="draft 草稿 / submitted 已提交 / returned 退回修改 / approved 已通过")
    state_label: str
    revision: int = Field(description="保存时原样送回，用于检测并发修改")
    sections: dict[str, str] = Field(description="performance, problems, causes, plans, rectification, unclassified")
    prior_items: list[PriorItemOut] = Field(description="上年度问题整改情况：逐条答复")
    signed_by_name: str
    signed_at: datetime | None
    submitted_at: datetime | None
    late: bool = Field(description="截止日期后提交（逾期）")
    approved_at: datetime | None
    reviews: list[ReviewOut]
    hints: HintsOut


class SaveIn(Schema):
    revision: int = Field(description="编辑所基于的 revision")
    sections: dict[str, str] = Field(default_factory=dict, description="只需送要修改的部分")
    answers: dict[str, str] = Field(default_factory=dict, description="整改台账条目 ID → 整改情况")


class ConflictOut(Schema):
    detail: str
    revision: int
    sections: dict[str, str]
    answers: dict[str, str]


class SignIn(Schema):
    name: str = Field(description="签字人姓名", max_length=50)


class CommentIn(Schema):
    comment: str = Field("", description="意见（退回修改时必填）", max_length=5000)


class RemindIn(Schema):
    participant_ids: list[int] | None = Field(None, description="要催报的述职对象 ID；不填则为全部未提交的")
    comment: str = Field("", max_length=500)


class RemindOut(Schema):
    reminded: int


class ProgressRowOut(Schema):
    participant_id: int
    unit: str
    secretary: str
    mode: str
    status: str = Field(description="missing 未提交 / submitted 已提交 / returned 退回 / approved 已通过 / overdue 逾期")
    status_label: str
    report_id: int | None
    late: bool
    submitted_at: datetime | None
    signed: bool
    words: int | None = Field(description="正文字数")


class ProgressOut(Schema):
    campaign_id: int
    report_deadline: date | None
    counts: dict[str, int]
    rows: list[ProgressRowOut]


class VersionOut(Schema):
    number: int
    note: str
    saved_by: str
    saved_at: datetime
    sections: dict[str, str]
    answers: dict[str, str]


def _actor(request: HttpRequest) -> Any:
    return request.user


def _out(report: Report) -> dict[str, Any]:
    report = Report.objects.select_related("participant__campaign", "participant__unit",
                                           "participant__secretary").get(pk=report.pk)
    p = report.participant
    items = actions.prior_items(report)
    return {
        "id": report.pk, "campaign_id": p.campaign_id, "participant_id": p.pk, "unit": p.unit.name,
        "secretary": p.secretary.name, "state": report.state, "state_label": report.get_state_display(),
        "revision": report.revision, "sections": report.sections,
        "prior_items": [{"entry_id": i.entry.pk, "problem": i.entry.problem, "source": i.entry.source,
                         "source_label": i.entry.get_source_display(),
                         "year": i.entry.campaign.year if i.entry.campaign else None, "deadline": i.entry.deadline,
                         "answer": i.answer.answer, "required": i.required} for i in items],
        "signed_by_name": report.signed_by_name, "signed_at": report.signed_at, "submitted_at": report.submitted_at,
        "late": report.late, "approved_at": report.approved_at,
        "reviews": [{"action": r.action, "action_label": r.get_action_display(), "comment": r.comment,
                     "by": str(r.by), "at": r.at} for r in report.reviews.select_related("by")],
        "hints": hints(report.sections, [i.answer.answer for i in items]).as_dict(),
    }


@router.get("/campaigns/{campaign_id}/reports/mine", response=ReportOut, summary="本单位的述职报告（首次打开时建立草稿）")
def mine(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    user = _actor(request)
    access.check_roles(user, *access.REPORT_WRITERS)
    campaign = access.get_campaign(user, campaign_id)
    return _out(actions.open_report(user, actions.own_participant(user, campaign)))


@router.get("/campaigns/{campaign_id}/reports/progress", response=ProgressOut, summary="各述职对象的报告进度")
def progress(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    user = _actor(request)
    access.check_roles(user, *access.REPORT_READERS, *access.REPORT_REVIEWERS)
    campaign = access.get_campaign(user, campaign_id)
    rows, counts = actions.progress(user, campaign)
    return {"campaign_id": campaign.pk, "report_deadline": campaign.report_deadline, "counts": counts, "rows": [
        {"participant_id": r.participant.pk, "unit": r.participant.unit.name, "secretary": r.participant.secretary.name,
         "mode": r.participant.mode, "status": r.status, "status_label": r.status_label,
         "report_id": r.report.pk if r.report else None, "late": bool(r.report and r.report.late),
         "submitted_at": r.report.submitted_at if r.report else None,
         "signed": bool(r.report and r.report.signed_at), "words": r.words} for r in rows]}


@router.post("/campaigns/{campaign_id}/reports/remind", response=RemindOut, summary="催报")
def remind(request: HttpRequest, campaign_id: int, body: RemindIn) -> dict[str, Any]:
    user = _actor(request)
    access.check_roles(user, *access.REPORT_REVIEWERS)
    campaign = access.get_campaign(user, campaign_id)
    return {"reminded": actions.remind(user, campaign, body.participant_ids, body.comment)}


@router.get("/reports/{report_id}", response=ReportOut, summary="读取述职报告")
def read(request: HttpRequest, report_id: int) -> dict[str, Any]:
    return _out(actions.get_report(_actor(request), report_id))


@router.put("/reports/{report_id}", response={200: ReportOut, 409: ConflictOut}, summary="保存述职报告草稿")
def save(request: HttpRequest, report_id: int, body: SaveIn) -> Any:
    user = _actor(request)
    report = actions.get_report(user, report_id)
    try:
        report = actions.save_draft(user, report, revision=body.revision, sections=body.sections,
                                    answers=body.answers, note="接口保存")
    except actions.StaleRevision as e:
        return Status(409, {"detail": str(e), "revision": e.report.revision, "sections": e.report.sections,
                            "answers": actions._answers_dict(e.report)})
    return _out(report)


@router.post("/reports/{report_id}/sign", response=ReportOut, summary="书记确认签字")
def sign(request: HttpRequest, report_id: int, body: SignIn) -> dict[str, Any]:
    user = _actor(request)
    return _out(actions.sign(user, actions.get_report(user, report_id), body.name))


@router.post("/reports/{report_id}/submit", response=ReportOut, summary="提交述职报告")
def submit(request: HttpRequest, report_id: int) -> dict[str, Any]:
    user = _actor(request)
    return _out(actions.submit(user, actions.get_report(user, report_id)))


@router.post("/reports/{report_id}/return", response=ReportOut, summary="退回修改（须填写意见）")
def return_report(request: HttpRequest, report_id: int, body: CommentIn) -> dict[str, Any]:
    user = _actor(request)
    return _out(actions.return_report(user, actions.get_report(user, report_id), body.comment))


@router.post("/reports/{report_id}/approve", response=ReportOut, summary="审核通过")
def approve(request: HttpRequest, report_id: int, body: CommentIn) -> dict[str, Any]:
    user = _actor(request)
    return _out(actions.approve(user, actions.get_report(user, report_id), body.comment))


@router.get("/reports/{report_id}/versions", response=list[VersionOut], summary="版本记录")
def versions(request: HttpRequest, report_id: int) -> list[dict[str, Any]]:
    report = actions.get_report(_actor(request), report_id)
    return [{"number": v.number, "note": v.note, "saved_by": str(v.saved_by), "saved_at": v.saved_at,
             "sections": v.sections, "answers": v.answers} for v in report.versions.select_related("saved_by")]


@router.post("/reports/{report_id}/versions/{number}/restore", response=ReportOut, summary="将旧版本恢复到草稿")
def restore(request: HttpRequest, report_id: int, number: int) -> dict[str, Any]:
    user = _actor(request)
    return _out(actions.restore_version(user, actions.get_report(user, report_id), number))
