"""JSON API of 整改台账: the same actions and access rules as the pages.

Readers (组织部, 监督员, 点评领导) see every entry; a unit's 整改责任人 and 述职人 only their own unit's (another
unit's entry answers 404). Organisers create and edit entries, verify or return closure requests (never
their own) and reopen closed entries. Owners post progress (JSON, or multipart with evidence files) and
request closure (multipart: a note and at least one evidence file, new or already on the entry).
L2's routes (import, overview) may be added here with router.add_router.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from shuping.accounts import access
from shuping.accounts.access import LEDGER_MANAGERS, check_roles
from shuping.orgs.models import Person, Unit
from shuping.rectification import actions
from shuping.rectification.models import Evidence, LedgerEntry, ProgressReport

router = Router(tags=["整改台账"])


class EvidenceOut(Schema):
    id: int
    name: str = Field(description="原文件名")
    size: int
    content_type: str
    sha256: str
    for_closure: bool = Field(description="是否为销号佐证材料")
    progress_id: int | None
    url: str = Field(description="下载地址（须登录且有权查看该条目）")


class ProgressOut(Schema):
    id: int
    text: str
    author: str
    created_at: datetime.datetime
    evidence: list[EvidenceOut]


class EntryOut(Schema):
    id: int
    unit_id: int
    unit_code: str
    unit_name: str
    campaign_id: int | None
    year: int | None = Field(description="提出问题的考核年度")
    problem: str
    category: str
    category_label: str
    source: str = Field(description="commentary 点评 / ballot 民主测评意见 / inspection 督查 / self 自查 / import 导入")
    source_label: str
    source_ref: str
    measures: str
    target: str
    responsible_id: int | None
    responsible: str = Field(description="责任人姓名（名册中的人员或填写的姓名）")
    deadline: datetime.date | None
    state: str = Field(description="open 整改中 / requested 申请销号 / closed 已销号")
    state_label: str
    last_progress: datetime.date = Field(description="最近一次报送进展的日期（无进展时为立项日期）")
    next_progress_due: datetime.date | None
    progress_overdue: bool = Field(description="进展逾期")
    past_deadline: bool = Field(description="超期（过整改时限未销号）")
    closure_note: str
    closure_requested_by: str | None
    closure_requested_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    verified_by: str | None
    return_reason: str = Field(description="最近一次销号申请被退回的理由")


class EntryDetailOut(EntryOut):
    progress: list[ProgressOut]
    closure_evidence: list[EvidenceOut]


class EntryFilter(Schema):
    unit_id: int | None = None
    category: str = ""
    source: str = ""
    state: str = ""
    overdue: str = Field("", description="any 任一逾期 / progress 进展逾期 / deadline 超期")
    year: int | None = None
    campaign_id: int | None = None
    q: str = ""


class EntryIn(Schema):
    unit_id: int
    campaign_id: int | None = None
    problem: str
    category: str
    source: str = Field(description="commentary / ballot / inspection / self")
    source_ref: str = ""
    measures: str = ""
    target: str = ""
    responsible_id: int | None = Field(None, description="该单位名册中的人员 ID")
    responsible_name: str = Field("", description="不在名册中的责任人姓名")
    deadline: datetime.date | None = None


class EntryPatch(Schema):
    unit_id: int | None = None
    problem: str | None = None
    category: str | None = None
    source: str | None = None
    source_ref: str | None = None
    measures: str | None = None
    target: str | None = None
    responsible_id: int | None = None
    responsible_name: str | None = None
    deadline: datetime.date | None = None


class ProgressIn(Schema):
    text: str


class ReasonIn(Schema):
    reason: str


def _actor(request: HttpRequest) -> Any:
    return request.user


def _name(u: Any) -> str | None:
    return str(u) if u is not None else None


def _ev(e: Evidence) -> dict[str, Any]:
    from django.urls import reverse
    return {"id": e.pk, "name": e.name, "size": e.size, "content_type": e.content_type, "sha256": e.sha256,
            "for_closure": e.for_closure, "progress_id": e.progress_id,
            "url": reverse("rectification:evidence", args=[e.pk])}


def _out(e: LedgerEntry, s: actions.Status | None = None) -> dict[str, Any]:
    s = s or actions.status(e)
    return {
        "id": e.pk, "unit_id": e.unit_id, "unit_code": e.unit.code, "unit_name": e.unit.name,
        "campaign_id": e.campaign_id, "year": e.campaign.year if e.campaign else None,
        "problem": e.problem, "category": e.category, "category_label": e.get_category_display(),
        "source": e.source, "source_label": e.get_source_display(), "source_ref": e.source_ref,
        "measures": e.measures, "target": e.target, "responsible_id": e.responsible_id,
        "responsible": e.responsible.name if e.responsible else e.responsible_name, "deadline": e.deadline,
        "state": e.state, "state_label": e.get_state_display(),
        "last_progress": s.last_progress, "next_progress_due": s.next_progress_due,
        "progress_overdue": s.progress_overdue, "past_deadline": s.past_deadline,
        "closure_note": e.closure_note, "closure_requested_by": _name(e.closure_requested_by),
        "closure_requested_at": e.closure_requested_at, "closed_at": e.closed_at,
        "verified_by": _name(e.verified_by), "return_reason": e.return_reason,
    }


def _progress(r: ProgressReport) -> dict[str, Any]:
    return {"id": r.pk, "text": r.text, "author": str(r.author), "created_at": r.created_at,
            "evidence": [_ev(e) for e in r.evidence.order_by("pk")]}


def _detail(user: Any, pk: int) -> dict[str, Any]:
    e = actions.get_entry(user, pk)
    out = _out(e)
    out["progress"] = [_progress(r) for r in e.progress_reports.select_related("author")]
    out["closure_evidence"] = [_ev(x) for x in e.evidence.filter(for_closure=True).order_by("pk")]
    return out


def _unit(user: Any, pk: int) -> Unit:
    return access.get_unit(user, pk)


def _person(pk: int | None) -> Person | None:
    if pk is None:
        return None
    p = Person.objects.filter(pk=pk).first()
    if p is None:
        from django.core.exceptions import ValidationError
        raise ValidationError("所选责任人不存在")
    return p


@router.get("/ledger/entries", response=list[EntryOut], summary="整改台账条目（按单位、类别、来源、状态、逾期、年度筛选）")
def list_entries(request: HttpRequest, filters: Query[EntryFilter]) -> Any:
    f = actions.Filters(unit=filters.unit_id, category=filters.category, source=filters.source, state=filters.state,
                        overdue=filters.overdue, year=filters.year, campaign=filters.campaign_id, q=filters.q)
    return [_out(e, s) for e, s in actions.search(_actor(request), f)]


@router.get("/ledger/entries/{entry_id}", response=EntryDetailOut, summary="整改台账条目及其进展、佐证材料")
def get_entry(request: HttpRequest, entry_id: int) -> Any:
    return _detail(_actor(request), entry_id)


@router.post("/ledger/entries", response={201: EntryDetailOut}, summary="新增整改台账条目（组织部）")
def create_entry(request: HttpRequest, data: EntryIn) -> Any:
    user = _actor(request)
    check_roles(user, *LEDGER_MANAGERS)
    campaign = access.get_campaign(user, data.campaign_id) if data.campaign_id else None
    fields = data.dict(exclude={"unit_id", "campaign_id", "responsible_id"})
    e = actions.create_entry(user, unit=_unit(user, data.unit_id), campaign=campaign,
                             responsible=_person(data.responsible_id), **fields)
    return Status(201, _detail(user, e.pk))


@router.patch("/ledger/entries/{entry_id}", response=EntryDetailOut, summary="修改整改台账条目（组织部；已销号的须先重新打开）")
def update_entry(request: HttpRequest, entry_id: int, data: EntryPatch) -> Any:
    user = _actor(request)
    check_roles(user, *LEDGER_MANAGERS)
    e = actions.get_entry(user, entry_id)
    given = data.dict(exclude_unset=True)
    unit = _unit(user, given.pop("unit_id")) if given.get("unit_id") else None
    given.pop("unit_id", None)
    if "responsible_id" in given:
        given["responsible"] = _person(given.pop("responsible_id"))
    given = {k: ("" if v is None and k not in ("deadline", "responsible") else v) for k, v in given.items()}
    actions.update_entry(user, e, unit=unit, **given)
    return _detail(user, entry_id)


@router.post("/ledger/entries/{entry_id}/progress", response={201: ProgressOut},
             summary="报送整改进展（JSON，不带附件；带佐证材料请用 progress-with-files）")
def post_progress(request: HttpRequest, entry_id: int, data: ProgressIn) -> Any:
    user = _actor(request)
    r = actions.post_progress(user, actions.get_entry(user, entry_id), text=data.text)
    return Status(201, _progress(r))


@router.post("/ledger/entries/{entry_id}/progress-with-files", response={201: ProgressOut},
             summary="报送整改进展并上传佐证材料（multipart：text、files；每个文件不超过 20 MB）")
def post_progress_files(request: HttpRequest, entry_id: int, text: Form[str],
                        files: File[list[UploadedFile]] = None) -> Any:  # type: ignore[assignment]
    user = _actor(request)
    r = actions.post_progress(user, actions.get_entry(user, entry_id), text=text, files=list(files or []))
    return Status(201, _progress(r))


@router.post("/ledger/entries/{entry_id}/request-closure", response=EntryDetailOut,
             summary="申请销号（multipart：note、files、evidence_ids；至少一份佐证材料）")
def request_closure(request: HttpRequest, entry_id: int, note: Form[str],
                    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # ninja: optional part
                    evidence_ids: Form[list[int]] = None) -> Any:  # type: ignore[assignment]
    user = _actor(request)
    actions.request_closure(user, actions.get_entry(user, entry_id), note=note, files=list(files or []),
                            evidence_ids=list(evidence_ids or []))
    return _detail(user, entry_id)


@router.post("/ledger/entries/{entry_id}/verify", response=EntryDetailOut,
             summary="审核通过销号申请（组织部，申请人本人不能审核）")
def verify(request: HttpRequest, entry_id: int) -> Any:
    user = _actor(request)
    check_roles(user, *LEDGER_MANAGERS)
    actions.verify_closure(user, actions.get_entry(user, entry_id))
    return _detail(user, entry_id)


@router.post("/ledger/entries/{entry_id}/return", response=EntryDetailOut, summary="退回销号申请（须写明理由）")
def return_closure(request: HttpRequest, entry_id: int, data: ReasonIn) -> Any:
    user = _actor(request)
    check_roles(user, *LEDGER_MANAGERS)
    actions.return_closure(user, actions.get_entry(user, entry_id), reason=data.reason)
    return _detail(user, entry_id)


@router.post("/ledger/entries/{entry_id}/reopen", response=EntryDetailOut, summary="重新打开已销号条目（须写明理由）")
def reopen(request: HttpRequest, entry_id: int, data: ReasonIn) -> Any:
    user = _actor(request)
    check_roles(user, *LEDGER_MANAGERS)
    actions.reopen(user, actions.get_entry(user, entry_id), reason=data.reason)
    return _detail(user, entry_id)
