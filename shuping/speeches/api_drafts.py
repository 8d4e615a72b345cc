"""JSON API of drafting: a reporter's 点评 draft, a campaign's closing speech outline, the phrase library.

Same access and functions as the pages (views_drafts): drafts for SPEECH_EDITORS (organiser, chair); the phrase
library read by SPEECH_EDITORS, changed by PHRASE_EDITORS (organiser) through shuping.speeches.phrases.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from shuping.accounts.access import PHRASE_EDITORS, SPEECH_EDITORS, check_roles, get_campaign
from shuping.speeches import phrases, views_drafts
from shuping.speeches.models import Phrase

router = Router(tags=["讲话与点评·草稿与措辞库"])


class SourceOut(Schema):
    label: str = Field(description="出处，如“述职报告·履职情况和成效”“整改台账 #12”")
    url: str = Field(description="出处在述评中的页面地址")


class SentenceOut(Schema):
    text: str
    sources: list[SourceOut] = Field(description="陈述事实的句子的出处；措辞句为空")


class SectionOut(Schema):
    key: str = Field(description="点评：highlights/problems/suggestions；讲话：opening/achievements/problems/"
                                 "requirements/closing")
    heading: str
    sentences: list[SentenceOut]


class DraftOut(Schema):
    title: str
    text: str = Field(description="纯文本（不含出处）")
    notes: list[str] = Field(description="未纳入草稿的内容及原因")
    sections: list[SectionOut]


class PhraseOut(Schema):
    id: int
    slot: str = Field(description="opening/achievements/highlight/problems/problem/suggestion/closing")
    category: str = Field(description="问题类别代码（仅问题、建议/要求），空为通用")
    text: str
    sort_order: int
    active: bool


class PhraseIn(Schema):
    slot: str
    category: str = ""
    text: str
    sort_order: int = 0


class PhrasePatch(Schema):
    slot: str | None = None
    category: str | None = None
    text: str | None = None
    sort_order: int | None = None
    active: bool | None = None


def _phrase(p: Phrase) -> dict[str, Any]:
    return {"id": p.pk, "slot": p.slot, "category": p.category, "text": p.text, "sort_order": p.sort_order,
            "active": p.active}


@router.get("/speeches/drafts/commentary/{participant_id}", response=DraftOut, summary="点评草稿（亮点、问题、建议）")
def commentary_draft(request: HttpRequest, participant_id: int) -> dict[str, Any]:
    check_roles(request.user, *SPEECH_EDITORS)  # type: ignore[arg-type]
    p = views_drafts.get_participant(request.user, participant_id)
    return views_drafts.commentary_draft(p).as_data()


@router.get("/speeches/drafts/closing/{campaign_id}", response=DraftOut, summary="总结讲话提纲")
def closing_outline(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    check_roles(request.user, *SPEECH_EDITORS)  # type: ignore[arg-type]
    campaign = get_campaign(request.user, campaign_id)  # type: ignore[arg-type]
    return views_drafts.closing_outline(campaign).as_data()


@router.get("/speeches/phrases", response=list[PhraseOut], summary="措辞库")
def phrase_list(request: HttpRequest) -> list[dict[str, Any]]:
    check_roles(request.user, *SPEECH_EDITORS)  # type: ignore[arg-type]
    return [_phrase(p) for p in Phrase.objects.all()]


@router.post("/speeches/phrases", response={201: PhraseOut}, summary="新增措辞（组织部）")
def phrase_create(request: HttpRequest, body: PhraseIn) -> Status:
    p = phrases.create_phrase(request.user, body.slot, body.category, body.text, body.sort_order)  # type: ignore[arg-type]
    return Status(201, _phrase(p))


@router.patch("/speeches/phrases/{phrase_id}", response=PhraseOut, summary="修改、启用或停用措辞（组织部）")
def phrase_update(request: HttpRequest, phrase_id: int, body: PhrasePatch) -> dict[str, Any]:
    user: Any = request.user
    check_roles(user, *PHRASE_EDITORS)
    p = Phrase.objects.filter(pk=phrase_id).first()
    if p is None:
        raise Http404("措辞不存在")
    if any(v is not None for v in (body.slot, body.category, body.text, body.sort_order)):
        p = phrases.update_phrase(user, p.pk, body.slot if body.slot is not None else p.slot,
                                  body.category if body.category is not None else p.category,
                                  body.text if body.text is not None else p.text,
                                  body.sort_order if body.sort_order is not None else p.sort_order)
    if body.active is not None:
        p = phrases.set_phrase_active(user, p.pk, body.active)
    return _phrase(p)
