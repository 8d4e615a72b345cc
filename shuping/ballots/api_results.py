"""JSON API for 民主测评 results: tally, reconciliation, the observer's export and the receipt list.

Same rules as the pages (shuping.ballots.counting): organisers, observers and chairs read the tally and
the reconciliation of a closed box; organisers and observers take the export. Decimals are strings.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema

from shuping.accounts import access
from shuping.accounts.access import check_roles
from shuping.ballots import counting
from shuping.ballots.models import BallotBox
from shuping.ballots.tally import as_data

router = Router(tags=["民主测评·计票结果"])


def _box(request: HttpRequest, box_id: int, *roles: str) -> tuple[Any, BallotBox]:
    user: Any = request.user
    check_roles(user, *roles)
    box = access.get_ballot_box(user, box_id)
    if not counting.countable(box):
        raise ValidationError(f"票箱状态为“{box.get_state_display()}”：封箱后才计票")
    return user, box


class ReconciliationOut(Schema):
    issued: int = Field(description="发出的测评码（不含已作废）")
    revoked: int = Field(description="已作废的测评码")
    used_phone: int = Field(description="手机投票")
    used_paper: int = Field(description="纸质票录入（两名计票员一致或经处理）")
    invalid: int = Field(description="废票")
    blank: int = Field(description="空白票（全部弃权）")
    not_returned: int = Field(description="未交回 = 发出 − 已投 − 废票")
    ballots: int = Field(description="存储的选票（已封存 + 待封存）")
    unsealed: int = Field(description="封箱后录入、尚未“封存纸质票”的选票（未计入计票结果）")
    seal_digest: str = Field(description="最近一次封箱/封存时审计日志记录的全部已封存选票摘要（SHA-256），可由导出复算")
    comments: int = Field(description="意见建议条数")
    paper_pending: int = Field(description="纸质票待复核或不一致（尚未计入）")
    too_many: bool = Field(description="选票 + 废票 多于发出的测评码：不能公布")
    flags: list[str] = Field(description="核对问题（中文）")
    blocks_publication: bool = Field(description="是否有阻止公布的问题（票数多于测评码、纸质票待复核或待封存）")


class ExportOut(Schema):
    header: list[str] = Field(description="列名：测评人员类别，然后每名述职人（及其分项）")
    rows: list[list[str]] = Field(description="每张选票一行，等次标签；随机顺序，不含时间、测评码、回执码")
    receipts: list[str] = Field(description="全部回执码（排序）")
    comments: list[str] = Field(description="意见建议（随机顺序，与选票分开）")


@router.get("/ballots/boxes/{box_id}/tally", summary="计票结果（封箱后；数值为字符串形式的小数）")
def get_tally(request: HttpRequest, box_id: int) -> dict[str, Any]:
    _, box = _box(request, box_id, *counting.RESULT_READERS)
    lines = counting.lines_of(box)
    t = counting.tally_box(box, len(lines))
    names = [{"participant_id": ln.participant_id, "unit": ln.participant.unit.name,
              "secretary": ln.participant.secretary.name if ln.participant.secretary_id else "",
              "mode": ln.participant.mode} for ln in lines]
    return as_data(t, names)


@router.get("/ballots/boxes/{box_id}/reconciliation", response=ReconciliationOut, summary="票数核对（封箱后）")
def get_reconciliation(request: HttpRequest, box_id: int) -> dict[str, Any]:
    _, box = _box(request, box_id, *counting.RESULT_READERS)
    return counting.reconciliation(box).as_dict()


@router.get("/ballots/boxes/{box_id}/export", response=ExportOut,
            summary="全部选票（监督员、组织部；随机顺序，可据此独立复算）")
def get_export(request: HttpRequest, box_id: int) -> dict[str, Any]:
    user, box = _box(request, box_id, *counting.EXPORTERS)
    ex = counting.export_for(user, box, "json")
    return {"header": ex.header, "rows": ex.rows, "receipts": ex.receipts, "comments": ex.comments}


@router.get("/ballots/boxes/{box_id}/receipts", response=list[str], summary="回执码列表（排序）")
def get_receipts(request: HttpRequest, box_id: int) -> list[str]:
    _, box = _box(request, box_id, *counting.RESULT_READERS)
    return counting.receipts_of(box)
