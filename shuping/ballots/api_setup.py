"""JSON API for the organiser's ballot box: the same actions and access helper as the setup pages.

Organisers write; observers read the box, the token list (serial, group, status, channel — never codes)
and the turnout. Issuing tokens returns each new token's serial, code, secret and voting URL once, so
scripts can print sheets elsewhere; after that no endpoint returns a token's code or secret.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from shuping.accounts import access
from shuping.accounts.access import CAMPAIGN_EDITORS, check_roles
from shuping.ballots import codes, pdf
from shuping.ballots.actions import setup
from shuping.ballots.models import BallotBox, BallotToken, BoxState, TokenStatus

router = Router(tags=["民主测评·票箱设置"])
READERS = access.BALLOT_SETUP_READERS


class LineOut(Schema):
    position: int = Field(description="票面顺序（从 0 开始）")
    participant_id: int
    unit: str
    secretary: str
    mode: str = Field(description="onsite 现场述职 / written 书面述职")


class GroupOut(Schema):
    index: int = Field(description="测评人员类别序号（发放测评码时使用）")
    name: str
    weight: str = Field(description="权重（%，字符串以保持精确）")


class BoxOut(Schema):
    id: int = Field(description="票箱 ID")
    campaign_id: int
    state: str = Field(description="setup 准备中 / open 投票中 / closed 已封箱 / published 已公布")
    state_label: str
    items: list[str] = Field(description="分项评价名称（可为空）")
    comments_enabled: bool = Field(description="是否设意见建议栏")
    comment_max_chars: int = Field(description="意见建议字数上限")
    lines: list[LineOut] = Field(description="测评票上的述职人，按票面顺序")
    voter_groups: list[GroupOut]
    flags: list[str] = Field(description="已封箱时：阻止公布的核对问题（为空才能公布）")


class LinesIn(Schema):
    participant_ids: list[int] = Field(description="述职对象 ID，按票面顺序；未列出的不上测评票")


class BoxPatch(Schema):
    items: list[str] | None = Field(None, description="分项评价名称，最多 8 项；空列表表示不设分项")
    comments_enabled: bool | None = Field(None, description="是否设意见建议栏")
    comment_max_chars: int | None = Field(None, description="意见建议字数上限（1–5000）")


class IssueIn(Schema):
    counts: dict[int, int] = Field(description="每个测评人员类别新发放的数量，如 {\"0\": 10, \"3\": 120}")


class IssuedTokenOut(Schema):
    serial: int = Field(description="票号")
    group: int
    group_name: str
    code: str = Field(description="8 位测评码（打印为 XXXX-XXXX）")
    code_display: str
    secret: str = Field(description="二维码中的密钥")
    url: str = Field(description="二维码内容：手机投票页的完整网址")


class TokenOut(Schema):
    serial: int
    group: int
    status: str = Field(description="issued 未使用 / used 已使用 / invalid 废票 / revoked 已作废")
    channel: str = Field(description="phone 手机 / paper 纸质 / 空：未使用")


class TokenFilter(Schema):
    group: int | None = Field(None, description="按测评人员类别筛选")
    status: str | None = Field(None, description="按状态筛选")
    offset: int = Field(0, ge=0)
    limit: int = Field(1000, ge=1, le=10000)


class ReasonIn(Schema):
    reason: str = Field(description="理由（必填）", max_length=2000)


class TurnoutRow(Schema):
    group: int = Field(description="测评人员类别序号；合计行为 -1")
    name: str
    issued: int = Field(description="已发放（不含已作废）")
    used: int
    used_phone: int
    used_paper: int = Field(description="纸质票已复核录入")
    invalid: int = Field(description="废票")
    revoked: int = Field(description="已作废的测评码")
    remaining: int = Field(description="未使用 = 已发放 − 已使用 − 废票")


class TurnoutOut(Schema):
    state: str
    state_label: str
    groups: list[TurnoutRow]
    total: TurnoutRow


def _actor(request: HttpRequest) -> Any:
    return request.user


def _box(request: HttpRequest, box_id: int, write: bool = False) -> BallotBox:
    actor = _actor(request)
    check_roles(actor, *(CAMPAIGN_EDITORS if write else READERS))
    return access.get_ballot_box(actor, box_id, write=write)


def _out(box_id: int) -> dict[str, Any]:
    box = BallotBox.objects.select_related("campaign").get(pk=box_id)
    lines = box.lines.select_related("participant__unit", "participant__secretary").order_by("position")
    return {
        "id": box.pk, "campaign_id": box.campaign_id, "state": box.state, "state_label": str(box.get_state_display()),
        "items": list(box.items), "comments_enabled": box.comments_enabled, "comment_max_chars": box.comment_max_chars,
        "lines": [{"position": ln.position, "participant_id": ln.participant_id, "unit": ln.participant.unit.name,
                   "secretary": ln.participant.secretary.name, "mode": ln.participant.mode} for ln in lines],
        "voter_groups": [{"index": i, "name": str(g["name"]), "weight": str(g["weight"])}
                         for i, g in enumerate(box.campaign.scheme.get("voter_groups", []))],
        "flags": setup.box_flags(box) if box.state == BoxState.CLOSED else [],
    }


@router.post("/campaigns/{campaign_id}/ballot-box", response={201: BoxOut}, summary="为考核方案创建民主测评票箱")
def create_box(request: HttpRequest, campaign_id: int) -> Any:
    actor = _actor(request)
    check_roles(actor, *CAMPAIGN_EDITORS)
    campaign = access.get_campaign(actor, campaign_id, write=True)
    box = setup.create_box(actor, campaign)
    return Status(201, _out(box.pk))


@router.get("/campaigns/{campaign_id}/ballot-box", response=BoxOut, summary="考核方案的民主测评票箱")
def box_of_campaign(request: HttpRequest, campaign_id: int) -> Any:
    actor = _actor(request)
    check_roles(actor, *READERS)
    campaign = access.get_campaign(actor, campaign_id)
    box = BallotBox.objects.filter(campaign=campaign).first()
    if box is None:
        raise Http404("该考核方案还没有民主测评票箱")
    return _out(box.pk)


@router.get("/ballots/boxes/{box_id}", response=BoxOut, summary="票箱设置与状态")
def get_box(request: HttpRequest, box_id: int) -> Any:
    return _out(_box(request, box_id).pk)


@router.put("/ballots/boxes/{box_id}/lines", response=BoxOut, summary="设置测评票上的述职人及顺序（准备中）")
def set_lines(request: HttpRequest, box_id: int, data: LinesIn) -> Any:
    box = _box(request, box_id, write=True)
    setup.set_lines(_actor(request), box, data.participant_ids)
    return _out(box.pk)


@router.patch("/ballots/boxes/{box_id}", response=BoxOut, summary="修改分项评价和意见建议栏（准备中）")
def update_box(request: HttpRequest, box_id: int, data: BoxPatch) -> Any:
    box = _box(request, box_id, write=True)
    setup.update_box(
        _actor(request), box,
        data.items if data.items is not None else box.items,
        data.comments_enabled if data.comments_enabled is not None else box.comments_enabled,
        data.comment_max_chars if data.comment_max_chars is not None else box.comment_max_chars,
    )
    return _out(box.pk)


@router.post("/ballots/boxes/{box_id}/tokens", response={201: list[IssuedTokenOut]},
             summary="发放测评码（返回每个新测评码的票号、测评码、密钥和投票网址，仅此一次）")
def issue_tokens(request: HttpRequest, box_id: int, data: IssueIn) -> Any:
    box = _box(request, box_id, write=True)
    tokens = setup.issue_tokens(_actor(request), box, data.counts)
    names = setup.group_names(box.campaign)
    return Status(201, [{"serial": t.serial, "group": t.group, "group_name": names[t.group], "code": t.code,
                         "code_display": codes.format_code(t.code), "secret": t.secret, "url": pdf.vote_url(t)}
                        for t in tokens])


@router.get("/ballots/boxes/{box_id}/tokens", response=list[TokenOut], summary="测评码清单（不含测评码本身）")
def list_tokens(request: HttpRequest, box_id: int, filters: Query[TokenFilter]) -> Any:
    box = _box(request, box_id)
    qs = BallotToken.objects.filter(box=box).order_by("serial")
    if filters.group is not None:
        qs = qs.filter(group=filters.group)
    if filters.status:
        if filters.status not in TokenStatus.values:
            raise ValidationError(f"未知的状态“{filters.status}”")
        qs = qs.filter(status=filters.status)
    return list(qs.values("serial", "group", "status", "channel")[filters.offset:filters.offset + filters.limit])


@router.post("/ballots/boxes/{box_id}/tokens/{serial}/revoke", response=TokenOut, summary="作废未使用的测评码")
def revoke_token(request: HttpRequest, box_id: int, serial: int, data: ReasonIn) -> Any:
    box = _box(request, box_id, write=True)
    token = BallotToken.objects.select_related("box__campaign").filter(box=box, serial=serial).first()
    if token is None:
        raise Http404(f"票号 {serial} 不存在")
    setup.revoke_token(_actor(request), token, data.reason)
    return {"serial": token.serial, "group": token.group, "status": token.status, "channel": token.channel}


@router.post("/ballots/boxes/{box_id}/open", response=BoxOut, summary="开始投票")
def open_box(request: HttpRequest, box_id: int) -> Any:
    box = _box(request, box_id, write=True)
    setup.open_box(_actor(request), box)
    return _out(box.pk)


@router.post("/ballots/boxes/{box_id}/close", response=BoxOut, summary="封箱")
def close_box(request: HttpRequest, box_id: int) -> Any:
    box = _box(request, box_id, write=True)
    setup.close_box(_actor(request), box)
    return _out(box.pk)


@router.post("/ballots/boxes/{box_id}/reopen", response=BoxOut, summary="重新开启投票（须写明理由）")
def reopen_box(request: HttpRequest, box_id: int, data: ReasonIn) -> Any:
    box = _box(request, box_id, write=True)
    setup.reopen_box(_actor(request), box, data.reason)
    return _out(box.pk)


@router.post("/ballots/boxes/{box_id}/publish", response=BoxOut, summary="公布测评结果（票箱核对须通过）")
def publish_box(request: HttpRequest, box_id: int) -> Any:
    box = _box(request, box_id, write=True)
    setup.publish_box(_actor(request), box)
    return _out(box.pk)


@router.get("/ballots/boxes/{box_id}/turnout", response=TurnoutOut, summary="各类别发放与使用情况")
def turnout(request: HttpRequest, box_id: int) -> Any:
    return setup.turnout(_box(request, box_id)).as_dict()
