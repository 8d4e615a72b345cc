"""JSON API of 现场评分 (see scoring/views_judging.py for the pages): the same actions and access checks.

Organisers set the panel and 回避, open and close scoring windows and remind judges; observers and chairs
read the panel and the progress; a judge with a seat reads their assignments and saves their own sheet.
Points travel as decimal strings so nothing is rounded on the way.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from shuping.accounts import access
from shuping.accounts.access import SCORERS, SCORING_MANAGERS, SCORING_PROGRESS_READERS, check_roles
from shuping.accounts.models import User
from shuping.campaigns.models import Campaign, Participant
from shuping.scoring import actions_judging as judging
from shuping.scoring.models import JudgeReminder, JudgeScore, JudgeSeat, Recusal, ScoringWindow, WindowState

router = Router(tags=["现场评分"])


class JudgeOut(Schema):
    username: str
    name: str = Field(description="姓名")
    unit: str | None = Field(description="所在单位（与之同单位的述职人自动回避）")


class RecusalOut(Schema):
    judge: str = Field(description="评委用户名")
    participant_id: int
    unit: str
    reason: str
    automatic: bool = Field(description="true：同单位自动回避；false：组织部设置")


class PanelOut(Schema):
    campaign_id: int
    judges: list[JudgeOut]
    recusals: list[RecusalOut]


class PanelIn(Schema):
    usernames: list[str] = Field(description="评委用户名（须有“评委”角色）；未列出的评委移出名单（已评分的不能移出）")


class RecusalIn(Schema):
    judge: str = Field(description="评委用户名")
    participant_id: int
    reason: str = Field(description="回避理由（必填）", max_length=200)


class ProgressOut(Schema):
    participant_id: int
    unit: str
    secretary: str
    mode: str = Field(description="onsite 现场述职 / written 书面述职")
    speaking_order: int | None
    window: str = Field(description="pending 未开始 / open 评分中 / closed 已结束")
    window_label: str
    expected: int = Field(description="应评评委数（评委名单减去回避）")
    submitted: int = Field(description="已提交的评委数")
    saved: int = Field(description="已保存、尚未提交的评委数")
    missing: list[str] = Field(description="尚未提交的评委（用户名）")
    missing_names: list[str] = Field(description="尚未提交的评委（姓名）")


class WindowOut(Schema):
    participant_id: int
    state: str = Field(description="pending 未开始 / open 评分中 / closed 已结束")
    state_label: str
    opened_at: datetime.datetime | None
    closed_at: datetime.datetime | None


class ReasonIn(Schema):
    reason: str = Field(description="理由（必填）", max_length=200)


class IndicatorOut(Schema):
    name: str
    max_points: str = Field(description="满分（字符串以保持精确）")


class SheetOut(Schema):
    participant_id: int
    judge: str
    points: list[str] = Field(description="各指标得分，按考核规则中的指标顺序")
    total: str
    submitted: bool
    submitted_at: datetime.datetime | None
    updated_at: datetime.datetime


class AssignmentRow(Schema):
    participant_id: int
    unit: str
    secretary: str
    mode: str
    speaking_order: int | None
    window: str
    window_label: str
    status: str = Field(description="none 未评分 / saved 已保存未提交 / submitted 已提交")
    sheet: SheetOut | None


class AssignmentOut(Schema):
    campaign_id: int
    title: str
    state: str
    indicators: list[IndicatorOut]
    done: int = Field(description="已提交的份数")
    total: int = Field(description="需评分的述职人数（已除去回避）")
    reporters: list[AssignmentRow] = Field(description="现场述职按述职顺序在前，书面述职在后")
    reminders: list[str] = Field(description="组织部尚未读的提醒")


class ScoreIn(Schema):
    points: list[str] = Field(description="各指标得分（字符串，最多两位小数），按指标顺序")
    submit: bool = Field(False, description="true：提交（计入统分）；false：只保存")


class RemindOut(Schema):
    reminded: list[str] = Field(description="被提醒的评委（用户名）")


def _actor(request: HttpRequest) -> Any:
    return request.user


def _campaign(request: HttpRequest, campaign_id: int, write: bool = False) -> Campaign:
    actor = _actor(request)
    check_roles(actor, *(SCORING_MANAGERS if write else SCORING_PROGRESS_READERS))
    return access.get_campaign(actor, campaign_id, write=write)


def _participant(request: HttpRequest, pid: int) -> Participant:
    """A reporter of a campaign the organiser may see."""
    actor = _actor(request)
    check_roles(actor, *SCORING_MANAGERS)
    p = (Participant.objects.select_related("unit", "secretary", "campaign")
         .filter(pk=pid, campaign__in=access.visible_campaigns(actor)).first())
    if p is None:
        raise Http404("述职对象不存在或无权查看")
    return p


def _judge(username: str) -> User:
    u = User.objects.filter(username=username).first()
    if u is None:
        raise ValidationError(f"用户“{username}”不存在")
    return u


def _panel(campaign: Campaign) -> dict[str, Any]:
    seats = list(JudgeSeat.objects.filter(campaign=campaign).select_related("user__unit"))
    recs = [{"judge": s.user.username, "participant_id": p.pk, "unit": p.unit.name, "reason": "本单位，自动回避",
             "automatic": True}
            for s in seats for p in campaign.participants.select_related("unit")
            if s.user.unit_id and s.user.unit_id == p.unit_id]
    recs += [{"judge": r.judge.username, "participant_id": r.participant_id, "unit": r.participant.unit.name,
              "reason": r.reason, "automatic": False}
             for r in Recusal.objects.filter(campaign=campaign).select_related("judge", "participant__unit")]
    return {"campaign_id": campaign.pk,
            "judges": [{"username": s.user.username, "name": judging.judge_name(s.user),
                        "unit": s.user.unit.name if s.user.unit else None} for s in seats],
            "recusals": recs}


def _window(w: ScoringWindow) -> dict[str, Any]:
    return {"participant_id": w.participant_id, "state": w.state, "state_label": str(WindowState(w.state).label),
            "opened_at": w.opened_at, "closed_at": w.closed_at}


def _sheet(s: JudgeScore) -> dict[str, Any]:
    return {"participant_id": s.participant_id, "judge": s.judge.username, "points": list(s.points),
            "total": format(s.total, "f"), "submitted": s.submitted_at is not None, "submitted_at": s.submitted_at,
            "updated_at": s.updated_at}


@router.get("/scoring/campaigns/{campaign_id}/panel", response=PanelOut, summary="评委名单与回避")
def get_panel(request: HttpRequest, campaign_id: int) -> Any:
    return _panel(_campaign(request, campaign_id))


@router.put("/scoring/campaigns/{campaign_id}/panel", response=PanelOut, summary="设置评委名单（整体替换）")
def put_panel(request: HttpRequest, campaign_id: int, data: PanelIn) -> Any:
    campaign = _campaign(request, campaign_id, write=True)
    judging.set_panel(_actor(request), campaign, [_judge(n) for n in dict.fromkeys(data.usernames)])
    return _panel(campaign)


@router.post("/scoring/campaigns/{campaign_id}/recusals", response={201: PanelOut}, summary="设置回避")
def add_recusal(request: HttpRequest, campaign_id: int, data: RecusalIn) -> Any:
    campaign = _campaign(request, campaign_id, write=True)
    p = Participant.objects.select_related("unit", "secretary").filter(pk=data.participant_id, campaign=campaign).first()
    if p is None:
        raise ValidationError("该述职对象不属于本考核方案")
    judging.add_recusal(_actor(request), campaign, _judge(data.judge), p, data.reason)
    return Status(201, _panel(campaign))


@router.delete("/scoring/campaigns/{campaign_id}/recusals/{participant_id}/{username}", response=PanelOut,
               summary="取消回避")
def remove_recusal(request: HttpRequest, campaign_id: int, participant_id: int, username: str) -> Any:
    campaign = _campaign(request, campaign_id, write=True)
    p = Participant.objects.select_related("unit", "secretary").filter(pk=participant_id, campaign=campaign).first()
    if p is None:
        raise Http404("述职对象不存在")
    judging.remove_recusal(_actor(request), campaign, _judge(username), p)
    return _panel(campaign)


@router.get("/scoring/campaigns/{campaign_id}/progress", response=list[ProgressOut], summary="各述职人的评分进度")
def get_progress(request: HttpRequest, campaign_id: int) -> Any:
    campaign = _campaign(request, campaign_id)
    return [{"participant_id": r.participant.pk, "unit": r.participant.unit.name,
             "secretary": r.participant.secretary.name, "mode": r.participant.mode,
             "speaking_order": r.participant.speaking_order, "window": r.window, "window_label": r.window_label,
             "expected": len(r.expected), "submitted": r.submitted, "saved": r.saved,
             "missing": [u.username for u in r.missing], "missing_names": r.missing_names}
            for r in judging.progress(campaign)]


@router.post("/scoring/participants/{participant_id}/window/open", response=WindowOut, summary="开始评分")
def open_window(request: HttpRequest, participant_id: int) -> Any:
    return _window(judging.open_window(_actor(request), _participant(request, participant_id)))


@router.post("/scoring/participants/{participant_id}/window/close", response=WindowOut, summary="结束评分")
def close_window(request: HttpRequest, participant_id: int) -> Any:
    return _window(judging.close_window(_actor(request), _participant(request, participant_id)))


@router.post("/scoring/participants/{participant_id}/window/reopen", response=WindowOut,
             summary="重新开放评分（须填理由）")
def reopen_window(request: HttpRequest, participant_id: int, data: ReasonIn) -> Any:
    return _window(judging.reopen_window(_actor(request), _participant(request, participant_id), data.reason))


@router.post("/scoring/participants/{participant_id}/remind", response=RemindOut, summary="提醒未提交该述职人评分的评委")
def remind_participant(request: HttpRequest, participant_id: int) -> Any:
    reminded = judging.remind_missing(_actor(request), _participant(request, participant_id))
    return {"reminded": [u.username for u in reminded]}


@router.post("/scoring/campaigns/{campaign_id}/remind", response=RemindOut, summary="提醒所有正在评分中未提交的评委")
def remind_campaign(request: HttpRequest, campaign_id: int) -> Any:
    reminded = judging.remind_missing(_actor(request), _campaign(request, campaign_id, write=True))
    return {"reminded": [u.username for u in reminded]}


@router.get("/scoring/my/assignments", response=list[AssignmentOut], summary="我的评分任务（评委）")
def my_assignments(request: HttpRequest) -> Any:
    actor = _actor(request)
    check_roles(actor, *SCORERS)
    out = []
    for seat in JudgeSeat.objects.filter(user=actor).select_related("campaign").order_by("-campaign__year"):
        c = seat.campaign
        rows = judging.judge_home(actor, c)
        out.append({
            "campaign_id": c.pk, "title": c.title, "state": c.state,
            "indicators": [{"name": n, "max_points": format(m, "f")} for n, m in judging.indicators(c)],
            "done": sum(1 for r in rows if r.submitted), "total": len(rows),
            "reporters": [{"participant_id": r.participant.pk, "unit": r.participant.unit.name,
                           "secretary": r.participant.secretary.name, "mode": r.participant.mode,
                           "speaking_order": r.participant.speaking_order, "window": r.window,
                           "window_label": r.window_label,
                           "status": "submitted" if r.submitted else ("saved" if r.sheet else "none"),
                           "sheet": _sheet(r.sheet) if r.sheet else None} for r in rows],
            "reminders": [m.message for m in JudgeReminder.objects.filter(campaign=c, judge=actor,
                                                                           seen_at__isnull=True)],
        })
    return out


@router.put("/scoring/participants/{participant_id}/my-score", response=SheetOut, summary="保存或提交我的评分（评委）")
def put_my_score(request: HttpRequest, participant_id: int, data: ScoreIn) -> Any:
    actor = _actor(request)
    check_roles(actor, *SCORERS)
    p = (Participant.objects.select_related("unit", "secretary")
         .filter(pk=participant_id, campaign__judge_seats__user=actor).first())
    if p is None:
        raise Http404("述职对象不存在，或您不是该考核方案的评委")
    return _sheet(judging.save_score(actor, p, data.points, data.submit))
