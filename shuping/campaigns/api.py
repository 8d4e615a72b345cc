"""JSON API for campaigns, their scheme, participants and lot draws: same access helper and actions as the pages.

Organisers write; observers and admins read everything; chairs, judges and tellers read campaigns past
the draft; reporters and ledger owners see only campaigns their unit is in, and only their own participant row.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Body, Field, Query, Router, Schema
from ninja.responses import Status

from shuping.accounts import access
from shuping.accounts.access import CAMPAIGN_EDITORS, WIDE_READERS, check_roles
from shuping.accounts.models import Role
from shuping.campaigns import actions
from shuping.campaigns.models import Campaign, LotDraw, Participant, ParticipantMode
from shuping.orgs.models import Person

router = Router(tags=["考核方案"])
READERS = tuple(Role.values)


class CampaignOut(Schema):
    id: int = Field(description="考核方案 ID")
    year: int = Field(description="年度")
    title: str = Field(description="名称")
    committee_id: int = Field(description="考核主体（单位 ID）")
    committee_code: str = Field(description="考核主体单位代码")
    state: str = Field(description="状态：draft 草拟, published 已发布, meeting 会议中, tallying 统分中, "
                                    "review 审核中, announced 已公布, archived 已归档")
    state_label: str = Field(description="状态（中文）")
    next_states: list[str] = Field(description="当前可变更到的状态")
    meeting_date: datetime.date | None = Field(description="述职评议会日期")
    report_deadline: datetime.date | None = Field(description="述职报告截止日期")
    copied_from_id: int | None = Field(description="复制自哪个考核方案")
    scheme: dict[str, Any] = Field(description="考核规则（数字均为字符串以保持精确）")

    @staticmethod
    def resolve_committee_code(obj: Campaign) -> str:
        return obj.committee.code

    @staticmethod
    def resolve_state_label(obj: Campaign) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_next_states(obj: Campaign) -> list[str]:
        return list(obj.next_states())


class CampaignIn(Schema):
    year: int = Field(description="年度")
    title: str = Field(description="名称", max_length=200)
    committee_id: int = Field(description="考核主体（单位 ID）")
    meeting_date: datetime.date | None = Field(None, description="述职评议会日期")
    report_deadline: datetime.date | None = Field(None, description="述职报告截止日期；留空取会议日期前若干天")


class CampaignPatch(Schema):
    title: str | None = Field(None, max_length=200, description="名称")
    year: int | None = Field(None, description="年度（仅草拟状态可改）")
    meeting_date: datetime.date | None = Field(None, description="述职评议会日期")
    report_deadline: datetime.date | None = Field(None, description="述职报告截止日期")


class CampaignFilter(Schema):
    year: int | None = Field(None, description="按年度筛选")
    state: str | None = Field(None, description="按状态筛选")


class TransitionIn(Schema):
    to: str = Field(description="目标状态代码")
    reason: str = Field("", description="理由；退回（审核中→统分中、已公布→审核中）时必填")


class CopyIn(Schema):
    title: str = Field("", description="新方案名称；留空则把原名称中的年度加一")


class ParticipantOut(Schema):
    id: int = Field(description="述职对象 ID")
    unit_id: int = Field(description="单位 ID")
    unit_code: str = Field(description="单位代码")
    unit_name: str = Field(description="单位名称")
    secretary_id: int = Field(description="述职人（人员 ID）")
    secretary_name: str = Field(description="述职人姓名")
    mode: str = Field(description="述职方式：onsite 现场述职, written 书面述职")
    speaking_order: int | None = Field(description="现场述职顺序（1 起连续）；书面述职为空")
    draw_group: str = Field(description="抽签分组")

    @staticmethod
    def resolve_unit_code(obj: Participant) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Participant) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_secretary_name(obj: Participant) -> str:
        return obj.secretary.name


class ParticipantIn(Schema):
    unit_id: int | None = Field(None, description="单位 ID（与 unit_code 二选一）")
    unit_code: str | None = Field(None, description="单位代码")
    secretary_id: int | None = Field(None, description="述职人（人员 ID）；留空取该单位现任书记")
    mode: str = Field(ParticipantMode.ONSITE, description="onsite 或 written")
    speaking_order: int | None = Field(None, description="插入到第几位（仅现场述职）；留空排在最后")
    draw_group: str = Field("", max_length=50, description="抽签分组")


class ParticipantPatch(Schema):
    secretary_id: int | None = Field(None, description="述职人（人员 ID，须属于该单位）")
    mode: str | None = Field(None, description="onsite 或 written")
    speaking_order: int | None = Field(None, description="移到第几位（仅现场述职）")
    draw_group: str | None = Field(None, max_length=50, description="抽签分组")


class OrderIn(Schema):
    participant_ids: list[int] = Field(description="全部现场述职对象的 ID，按新的述职顺序")


class DrawIn(Schema):
    group: str = Field(description="抽签分组")
    count: int = Field(description="抽取现场述职的人数")


class LotDrawOut(Schema):
    id: int
    group: str = Field(description="抽签分组")
    seed: str = Field(description="随机种子")
    candidates: list[str] = Field(description="候选单位代码（排序后）")
    count: int = Field(description="抽取人数")
    drawn: list[str] = Field(description="抽中的单位代码，按抽中顺序")
    drawn_at: datetime.datetime
    replay_ok: bool = Field(description="用种子和候选重新计算，结果是否与记录一致")

    @staticmethod
    def resolve_replay_ok(obj: LotDraw) -> bool:
        return actions.replay(obj)[0]


def _actor(request: HttpRequest) -> Any:
    return request.user


def _campaign(request: HttpRequest, pk: int, write: bool = False) -> Campaign:
    actor = _actor(request)
    check_roles(actor, *(CAMPAIGN_EDITORS if write else READERS))
    return access.get_campaign(actor, pk, write=write)


def _participant(campaign: Campaign, pid: int) -> Participant:
    return get_object_or_404(Participant.objects.select_related("unit", "secretary", "campaign"),
                             pk=pid, campaign=campaign)


def _person(actor: Any, pk: int | None) -> Person | None:
    if pk is None:
        return None
    person = access.visible_people(actor).filter(pk=pk).first()
    if person is None:
        raise ValidationError(f"人员 ID {pk} 不存在")
    return person


def _out(pk: int) -> Campaign:
    return Campaign.objects.select_related("committee").get(pk=pk)


@router.get("/campaigns", response=list[CampaignOut], summary="考核方案列表")
def list_campaigns(request: HttpRequest, filters: Query[CampaignFilter]) -> Any:
    actor = _actor(request)
    check_roles(actor, *READERS)
    qs = access.visible_campaigns(actor).select_related("committee").order_by("-year", "committee__code")
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    if filters.state:
        qs = qs.filter(state=filters.state)
    return qs


@router.post("/campaigns", response={201: CampaignOut}, summary="新建考核方案（采用默认考核规则）")
def create_campaign(request: HttpRequest, data: CampaignIn) -> Any:
    actor = _actor(request)
    check_roles(actor, *CAMPAIGN_EDITORS)
    committee = access.visible_units(actor).filter(pk=data.committee_id).first()
    if committee is None:
        raise ValidationError(f"单位 ID {data.committee_id} 不存在")
    c = actions.create_campaign(actor, year=data.year, title=data.title, committee=committee,
                                meeting_date=data.meeting_date, report_deadline=data.report_deadline)
    return Status(201, _out(c.pk))


@router.get("/campaigns/{campaign_id}", response=CampaignOut, summary="考核方案详情（含考核规则）")
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    return _campaign(request, campaign_id)


@router.patch("/campaigns/{campaign_id}", response=CampaignOut, summary="修改基本信息")
def update_campaign(request: HttpRequest, campaign_id: int, data: CampaignPatch) -> Any:
    c = _campaign(request, campaign_id, write=True)
    given = data.model_dump(exclude_unset=True)
    actions.update_campaign(
        _actor(request), c, title=given.get("title", c.title), year=given.get("year"),
        meeting_date=given.get("meeting_date", c.meeting_date),
        report_deadline=given.get("report_deadline", c.report_deadline),
    )
    return _out(c.pk)


@router.put("/campaigns/{campaign_id}/scheme", response=CampaignOut,
            summary="修改考核规则（仅草拟状态；不合规时 422 并列出全部原因）")
def update_scheme(request: HttpRequest, campaign_id: int, scheme: Body[dict[str, Any]]) -> Any:
    c = _campaign(request, campaign_id, write=True)
    actions.update_scheme(_actor(request), c, scheme)
    return _out(c.pk)


@router.post("/campaigns/{campaign_id}/transition", response=CampaignOut, summary="变更状态")
def transition(request: HttpRequest, campaign_id: int, data: TransitionIn) -> Any:
    c = _campaign(request, campaign_id, write=True)
    actions.transition(_actor(request), c, data.to, data.reason)
    return _out(c.pk)


@router.post("/campaigns/{campaign_id}/copy", response={201: CampaignOut},
             summary="复制为下一年度（同样的考核规则和述职对象，述职人取现任书记，草拟状态）")
def copy_campaign(request: HttpRequest, campaign_id: int, data: CopyIn) -> Any:
    c = _campaign(request, campaign_id, write=True)
    new = actions.copy_campaign(_actor(request), c, title=data.title)
    return Status(201, _out(new.pk))


@router.get("/campaigns/{campaign_id}/participants", response=list[ParticipantOut],
            summary="述职对象（述职人只能看到本单位）")
def list_participants(request: HttpRequest, campaign_id: int) -> Any:
    c = _campaign(request, campaign_id)
    return access.participants_visible_in(_actor(request), c).order_by(
        "mode", "speaking_order", "unit__sort_order", "unit__code")


@router.post("/campaigns/{campaign_id}/participants", response={201: ParticipantOut}, summary="添加述职对象")
def add_participant(request: HttpRequest, campaign_id: int, data: ParticipantIn) -> Any:
    actor = _actor(request)
    c = _campaign(request, campaign_id, write=True)
    units = access.visible_units(actor)
    if data.unit_id is not None:
        unit = units.filter(pk=data.unit_id).first()
    elif data.unit_code:
        unit = units.filter(code=data.unit_code.strip()).first()
    else:
        raise ValidationError("请指定单位（unit_id 或 unit_code）")
    if unit is None:
        raise ValidationError(f"单位 {data.unit_id or data.unit_code} 不存在")
    p = actions.add_participant(actor, c, unit, secretary=_person(actor, data.secretary_id), mode=data.mode,
                                speaking_order=data.speaking_order, draw_group=data.draw_group)
    return Status(201, _participant(c, p.pk))


@router.patch("/campaigns/{campaign_id}/participants/{participant_id}", response=ParticipantOut,
              summary="修改述职对象（述职人、方式、顺序、抽签分组）")
def update_participant(request: HttpRequest, campaign_id: int, participant_id: int, data: ParticipantPatch) -> Any:
    actor = _actor(request)
    c = _campaign(request, campaign_id, write=True)
    p = _participant(c, participant_id)
    actions.update_participant(actor, p, secretary=_person(actor, data.secretary_id), mode=data.mode,
                               speaking_order=data.speaking_order, draw_group=data.draw_group)
    return _participant(c, p.pk)


@router.delete("/campaigns/{campaign_id}/participants/{participant_id}", response={204: None},
               summary="移除述职对象")
def remove_participant(request: HttpRequest, campaign_id: int, participant_id: int) -> Any:
    c = _campaign(request, campaign_id, write=True)
    actions.remove_participant(_actor(request), _participant(c, participant_id))
    return Status(204, None)


@router.put("/campaigns/{campaign_id}/speaking-order", response=list[ParticipantOut], summary="重排现场述职顺序")
def set_order(request: HttpRequest, campaign_id: int, data: OrderIn) -> Any:
    c = _campaign(request, campaign_id, write=True)
    actions.set_speaking_order(_actor(request), c, data.participant_ids)
    return c.participants.select_related("unit", "secretary").filter(mode=ParticipantMode.ONSITE).order_by(
        "speaking_order")


@router.get("/campaigns/{campaign_id}/lots", response=list[LotDrawOut], summary="抽签记录（含复核结果）")
def list_lots(request: HttpRequest, campaign_id: int) -> Any:
    check_roles(_actor(request), *WIDE_READERS)
    c = _campaign(request, campaign_id)
    return c.lot_draws.all()


@router.post("/campaigns/{campaign_id}/lots", response={201: LotDrawOut},
             summary="抽签：从分组中抽取若干个现场述职，其余改为书面述职")
def draw_lots(request: HttpRequest, campaign_id: int, data: DrawIn) -> Any:
    c = _campaign(request, campaign_id, write=True)
    return Status(201, actions.draw_lots(_actor(request), c, data.group, data.count))


