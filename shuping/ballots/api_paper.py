"""JSON API for tellers' paper ballots: the same actions and access helper as the pages.

Tellers look a sheet up and key it (blind: nothing of an earlier keying is ever returned to a keyer),
or record it as spoiled; a third teller or an organiser lists mismatches and resolves them;
tellers, organisers and observers read the progress counts.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema

from shuping.accounts import access
from shuping.accounts.access import check_roles
from shuping.ballots import codes
from shuping.ballots.actions import paper, setup
from shuping.ballots.models import BallotBox

router = Router(tags=["民主测评·纸质票"])

LABEL_TO_CHAR = {label: ch for ch, label in codes.GRADE_LABELS.items()}
GRADES_HELP = ("每名述职人一项，按票面顺序：字符串（'1' 好、'2' 较好、'3' 一般、'4' 差、'0' 弃权，如 \"1240\"），"
               "或中文标签列表（如 [\"好\", \"较好\", \"差\", \"弃权\"]）")


def _grade_string(value: str | list[str], what: str = "评价") -> str:
    if isinstance(value, str):
        return value
    try:
        return "".join(LABEL_TO_CHAR[v.strip()] for v in value)
    except KeyError as e:
        raise ValidationError(f"{what}中有无法识别的选项“{e.args[0]}”：只能是好、较好、一般、差或弃权") from None


class SheetIn(Schema):
    sheet: str = Field(description="票面上的 8 位测评码（可带连字符），或扫描二维码得到的网址/密钥", max_length=300)


class KeyingIn(Schema):
    grades: str | list[str] = Field("", description=GRADES_HELP)
    item_grades: str | list[str] = Field("", description="分项评价（如有）：按述职人、再按分项排列，格式同 grades；可留空")
    comment: str = Field("", description="意见建议（照票面录入）", max_length=20000)
    blank_sheet: bool = Field(False, description="空白票：全部按弃权计，忽略其余字段")


class KeySheetIn(SheetIn, KeyingIn):
    pass


class ReasonIn(Schema):
    reason: str = Field(description="废票原因", max_length=1000)


class InvalidIn(SheetIn, ReasonIn):
    pass


class LineOut(Schema):
    position: int = Field(description="票面顺序（从 0 开始）")
    participant_id: int
    unit: str
    secretary: str
    mode: str = Field(description="onsite 现场述职 / written 书面述职")


class SheetOut(Schema):
    serial: int = Field(description="票号")
    group: int = Field(description="测评人员类别序号")
    group_name: str
    state: str = Field(description="new 首次录入 / awaiting_second 待复核录入 / keyed_by_you 您已录入 / mismatch 不一致待处理 / "
                                    "counted 已计入 / phone 已手机投票 / invalid 废票 / revoked 已作废")
    message: str
    keyable: bool = Field(description="当前用户能否录入此票")
    lines: list[LineOut] = Field(description="票面上的述职人（不含任何已录入的内容）")


class KeyOut(Schema):
    serial: int
    outcome: str = Field(description="pending 待复核 / confirmed 已计入 / mismatch 不一致待处理")
    message: str


class InvalidOut(Schema):
    serial: int
    reason: str
    message: str


class KeyingOut(Schema):
    teller: str
    grades: str
    grade_labels: list[str]
    item_grades: str
    comment: str
    blank_sheet: bool


class MismatchOut(Schema):
    serial: int
    group: int
    group_name: str
    keyings: list[KeyingOut] = Field(description="两次录入（只提供给未参与录入的计票员和组织部）")
    differing_positions: list[int]
    differing_item_positions: list[int]
    comment_differs: bool
    blank_flag_differs: bool


class ProgressOut(Schema):
    issued: int = Field(description="发出的测评票（不含已作废）")
    keyed_once: int = Field(description="已录一次，待复核")
    confirmed: int = Field(description="两次一致（或经处理）已计入的纸质票")
    mismatched: int = Field(description="不一致，待处理")
    invalid: int = Field(description="废票")
    phone: int = Field(description="已通过手机投票")
    unused: int = Field(description="尚未计入也未登记为废票")
    mine_pending: int = Field(description="当前用户录入、待复核的张数")
    unsealed: int = Field(description="封箱后计入、待“封存纸质票”的张数（投票中为 0）")


class SealOut(Schema):
    sealed: int = Field(description="本次封存的选票张数")
    comments: int = Field(description="其中的意见建议条数")
    total: int = Field(description="封存后本票箱的选票总数")
    digest: str = Field(description="全部已封存选票的摘要（SHA-256，与审计日志和监督员导出一致）")


def _group_name(box: BallotBox, group: int) -> str:
    groups = box.campaign.scheme.get("voter_groups", [])
    return groups[group]["name"] if 0 <= group < len(groups) else f"第{group + 1}类"


def _box(request: HttpRequest, box_id: int, *roles: str) -> tuple[Any, BallotBox]:
    user: Any = request.user
    check_roles(user, *roles)
    return user, access.get_ballot_box(user, box_id)


def _keying(body: KeyingIn) -> dict[str, Any]:
    return {"grades": _grade_string(body.grades), "item_grades": _grade_string(body.item_grades, "分项评价"),
            "comment": body.comment, "blank_sheet": body.blank_sheet}


@router.post("/ballots/boxes/{box_id}/paper/find", response=SheetOut, summary="查找纸质票（计票员）")
def find_sheet(request: HttpRequest, box_id: int, body: SheetIn) -> dict[str, Any]:
    user, box = _box(request, box_id, *paper.KEYERS)
    sheet = paper.find_sheet(user, box, body.sheet)
    t = sheet.token
    return {
        "serial": t.serial, "group": t.group, "group_name": _group_name(box, t.group), "state": sheet.state,
        "message": sheet.message, "keyable": sheet.keyable,
        "lines": [{"position": ln.position, "participant_id": ln.participant_id, "unit": ln.participant.unit.name,
                   "secretary": ln.participant.secretary.name, "mode": ln.participant.mode}
                  for ln in paper.lines_of(box)],
    }


@router.post("/ballots/boxes/{box_id}/paper/key", response=KeyOut,
             summary="录入一张纸质票（两名计票员分别录入，一致即计入）")
def key_sheet(request: HttpRequest, box_id: int, body: KeySheetIn) -> dict[str, Any]:
    user, box = _box(request, box_id, *paper.KEYERS)
    sheet = paper.find_sheet(user, box, body.sheet)
    result = paper.key_sheet(user, sheet.token, **_keying(body))
    return {"serial": result.serial, "outcome": result.outcome, "message": result.message}


@router.post("/ballots/boxes/{box_id}/paper/invalid", response=InvalidOut, summary="登记废票（计票员，须写明原因）")
def mark_invalid(request: HttpRequest, box_id: int, body: InvalidIn) -> dict[str, Any]:
    user, box = _box(request, box_id, *paper.KEYERS)
    sheet = paper.find_sheet(user, box, body.sheet)
    record = paper.mark_invalid(user, sheet.token, body.reason)
    return {"serial": sheet.token.serial, "reason": record.reason, "message": "已登记为废票"}


def _mismatch_out(box: BallotBox, m: paper.Mismatch) -> dict[str, Any]:
    return {
        "serial": m.token.serial, "group": m.token.group, "group_name": _group_name(box, m.token.group),
        "keyings": [{"teller": e.teller.username, "grades": e.grades,
                     "grade_labels": [codes.GRADE_LABELS[g] for g in e.grades], "item_grades": e.item_grades,
                     "comment": e.comment, "blank_sheet": e.blank_sheet} for e in m.entries],
        "differing_positions": m.differences.positions,
        "differing_item_positions": m.differences.item_positions,
        "comment_differs": m.differences.comment,
        "blank_flag_differs": m.differences.blank_sheet,
    }


@router.get("/ballots/boxes/{box_id}/paper/mismatches", response=list[MismatchOut],
            summary="两次录入不一致的纸质票（不含当前用户参与录入的）")
def list_mismatches(request: HttpRequest, box_id: int) -> list[dict[str, Any]]:
    user, box = _box(request, box_id, *paper.RESOLVERS)
    return [_mismatch_out(box, m) for m in paper.mismatches(user, box)]


@router.post("/ballots/boxes/{box_id}/paper/mismatches/{serial}/resolve", response=KeyOut,
             summary="处理不一致：对照原票录入最终结果并计入（未参与录入的计票员或组织部）")
def resolve_mismatch(request: HttpRequest, box_id: int, serial: int, body: KeyingIn) -> dict[str, Any]:
    user, box = _box(request, box_id, *paper.RESOLVERS)
    m = paper.get_mismatch(user, box, serial)
    result = paper.resolve_mismatch(user, m.token, **_keying(body))
    return {"serial": result.serial, "outcome": result.outcome, "message": result.message}


@router.post("/ballots/boxes/{box_id}/paper/mismatches/{serial}/invalid", response=InvalidOut,
             summary="处理不一致：判定为废票（未参与录入的计票员或组织部）")
def resolve_invalid(request: HttpRequest, box_id: int, serial: int, body: ReasonIn) -> dict[str, Any]:
    user, box = _box(request, box_id, *paper.RESOLVERS)
    m = paper.get_mismatch(user, box, serial)
    record = paper.mark_invalid(user, m.token, body.reason)
    return {"serial": serial, "reason": record.reason, "message": "已登记为废票"}


@router.post("/ballots/boxes/{box_id}/paper/seal", response=SealOut,
             summary="封存纸质票（封箱后录入完成时：解密、打乱后计入，销毁密钥；计票员或组织部）")
def seal_paper(request: HttpRequest, box_id: int) -> dict[str, Any]:
    user, box = _box(request, box_id, *setup.SEALERS)
    return setup.seal_paper(user, box).as_data()


@router.get("/ballots/boxes/{box_id}/paper/progress", response=ProgressOut, summary="纸质票录入进度（只有张数）")
def progress(request: HttpRequest, box_id: int) -> dict[str, int]:
    user, box = _box(request, box_id, *paper.PROGRESS_READERS)
    return paper.progress(user, box).as_dict()
