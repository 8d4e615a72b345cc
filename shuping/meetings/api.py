"""JSON API of 述职评议会: the same actions and access helper as the control screen.

Organisers create the meeting, change its options and run every control action; observers and chairs read
the meeting and its live state (the staff state: as the projector's, plus the judges' progress and what
undo would undo). Each action answers with the state after it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from shuping.accounts import access
from shuping.accounts.access import MEETING_READERS, MEETING_RUNNERS, check_roles
from shuping.meetings import actions, agenda
from shuping.meetings.models import Meeting
from shuping.meetings.state import build_state
from shuping.meetings.views_control import get_meeting

router = Router(tags=["述职评议会"])


class MeetingOut(Schema):
    id: int
    campaign_id: int
    state: str = Field(description="planned 未开始 / running 进行中 / ended 已结束")
    state_label: str
    show_ranking: bool
    show_judges: bool
    attendees: int | None
    attendance_note: str
    version: int = Field(description="每次大屏可见的变化加一")
    screen_path: str | None = Field(description="大屏地址（含密钥，仅组织者可见）")


class OptionsIn(Schema):
    show_ranking: bool = Field(description="大屏显示实时排名")
    show_judges: bool = Field(description="大屏显示评委提交进度")
    attendees: int | None = Field(None, description="参会人数")
    attendance_note: str = Field("", description="出席情况")


class ActionIn(Schema):
    item: int | None = Field(None, description="议程 ID（议程类操作必填）")
    seconds: int | None = Field(None, description="extend_timer：延长秒数，默认 60")
    direction: str | None = Field(None, description="move：up 上移 / down 下移")
    position: int | None = Field(None, description="move / add_item：目标序号（从 1 开始）")
    absent: bool | None = Field(None, description="absent：是否缺席")
    substitute: str | None = Field(None, description="absent：代述职人（空 = 跳过）")
    note: str | None = Field(None, description="absent：说明")
    title: str | None = Field(None, description="add_item：议程名称")
    minutes: int | None = Field(None, description="add_item：时长（分钟）")


def _out(m: Meeting, user: Any) -> dict[str, Any]:
    return {"id": m.pk, "campaign_id": m.campaign_id, "state": m.state, "state_label": m.get_state_display(),
            "show_ranking": m.show_ranking, "show_judges": m.show_judges, "attendees": m.attendees,
            "attendance_note": m.attendance_note, "version": m.version,
            "screen_path": f"/meetings/screen/{m.screen_key}/" if user.has_role(*MEETING_RUNNERS) else None}


@router.get("/campaigns/{campaign_id}/meeting", response=MeetingOut, summary="考核方案的述职评议会")
def campaign_meeting(request: HttpRequest, campaign_id: int) -> Any:
    check_roles(request.user, *MEETING_READERS)  # type: ignore[arg-type]
    c = access.get_campaign(request.user, campaign_id)  # type: ignore[arg-type]
    m = Meeting.objects.filter(campaign=c).first()
    if m is None:
        raise Http404("本考核方案尚未安排述职评议会")
    return _out(m, request.user)


@router.post("/campaigns/{campaign_id}/meeting", response={201: MeetingOut}, summary="安排述职评议会（生成默认议程）")
def create_meeting(request: HttpRequest, campaign_id: int) -> Any:
    c = access.get_campaign(request.user, campaign_id, write=True)  # type: ignore[arg-type]
    check_roles(request.user, *MEETING_RUNNERS)  # type: ignore[arg-type]
    m = agenda.create_meeting(request.user, c)  # type: ignore[arg-type]
    return Status(201, _out(m, request.user))


@router.get("/meetings/{meeting_id}", response=MeetingOut, summary="述职评议会")
def meeting(request: HttpRequest, meeting_id: int) -> Any:
    check_roles(request.user, *MEETING_READERS)  # type: ignore[arg-type]
    return _out(get_meeting(request.user, meeting_id), request.user)  # type: ignore[arg-type]


@router.get("/meetings/{meeting_id}/state", summary="会议实时状态（与控制台相同）",
            description="server_now、meeting、agenda、current（含倒计时）、vote、judges、ranking、control。")
def state(request: HttpRequest, meeting_id: int) -> Any:
    check_roles(request.user, *MEETING_READERS)  # type: ignore[arg-type]
    return build_state(get_meeting(request.user, meeting_id), staff=True)  # type: ignore[arg-type]


@router.put("/meetings/{meeting_id}/options", response=MeetingOut, summary="会议设置")
def options(request: HttpRequest, meeting_id: int, body: OptionsIn) -> Any:
    m = get_meeting(request.user, meeting_id, write=True)  # type: ignore[arg-type]
    m = actions.set_options(request.user, m, show_ranking=body.show_ranking,  # type: ignore[arg-type]
                            show_judges=body.show_judges, attendees=body.attendees,
                            attendance_note=body.attendance_note)
    return _out(m, request.user)


@router.post("/meetings/{meeting_id}/actions/{name}", summary="会议控制操作",
             description="name：" + "、".join(actions.ACTION_NAMES) + "。返回操作后的会议状态。")
def act(request: HttpRequest, meeting_id: int, name: str, body: ActionIn) -> Any:
    m = get_meeting(request.user, meeting_id, write=True)  # type: ignore[arg-type]
    if name not in actions.ACTION_NAMES:
        raise ValidationError(f"未知的操作“{name}”")
    params = {k: v for k, v in body.dict().items() if v is not None}
    actions.perform(request.user, m, name, params)  # type: ignore[arg-type]
    return build_state(m, staff=True)
