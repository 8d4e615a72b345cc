"""Drafting pages: the 点评 draft of one reporter (with 润色 when an endpoint is configured, and 插入点评 for the
chair), the closing speech outline (page and .docx), and the phrase library.

Drafts: SPEECH_EDITORS (organiser, chair). Inserting into the pad: COMMENTATORS (the chair). Phrase library:
SPEECH_EDITORS read, PHRASE_EDITORS (organiser) edit. Thin: facts (shuping.speeches.facts) → drafting (pure);
phrase edits and the pad insert go through their actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shuping.accounts.access import (
    COMMENTATORS,
    PHRASE_EDITORS,
    SPEECH_EDITORS,
    get_campaign,
    participants_visible_in,
    roles_required,
    visible_campaigns,
)
from shuping.campaigns.models import Participant
from shuping.core.downloads import attachment
from shuping.meetings import commentary
from shuping.meetings.models import Meeting
from shuping.rectification.categories import CATEGORIES
from shuping.speeches import drafting, facts, llm, phrases
from shuping.speeches.models import Phrase, PhraseSlot

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, e: ValidationError) -> None:
    for m in e.messages:
        messages.error(request, m)


def get_participant(user: Any, participant_id: int) -> Participant:
    try:
        return (Participant.objects.select_related("unit", "secretary", "campaign")
                .get(pk=participant_id, campaign__in=visible_campaigns(user)))
    except Participant.DoesNotExist:
        raise Http404("述职人不存在或无权查看") from None


def commentary_draft(participant: Participant) -> drafting.Draft:
    return drafting.commentary_draft(facts.reporter_facts(participant), facts.phrase_book())


def closing_outline(campaign: Any) -> drafting.Draft:
    return drafting.closing_outline(facts.closing_facts(campaign), facts.phrase_book())


# --- index -------------------------------------------------------------------------------------------

@roles_required(*SPEECH_EDITORS)
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    campaigns = list(visible_campaigns(user).select_related("committee"))
    rows = [(c, list(participants_visible_in(user, c))) for c in campaigns]
    return render(request, "speeches/drafts/index.html", {"rows": rows})


# --- the 点评 draft ----------------------------------------------------------------------------------

@roles_required(*SPEECH_EDITORS)
def draft(request: HttpRequest, participant_id: int) -> HttpResponse:
    user = _user(request)
    p = get_participant(user, participant_id)
    d = commentary_draft(p)
    meeting = Meeting.objects.filter(campaign_id=p.campaign_id).first()
    return render(request, "speeches/drafts/draft.html", {
        "p": p, "draft": d, "numbered": d.numbered(), "sources": d.sources(), "text": d.plain_text(),
        "meeting": meeting, "can_insert": meeting is not None and user.has_role(*COMMENTATORS),
        "llm_enabled": llm.enabled(),
    })


@require_POST
@roles_required(*COMMENTATORS)
def insert(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Append the draft's plain text to the chair's 点评 (through the pad's own save action)."""
    user = _user(request)
    p = get_participant(user, participant_id)
    text = request.POST.get("text", "").replace("\r\n", "\n").strip()
    if not text:
        messages.error(request, "草稿为空，未插入")
        return redirect("speeches:draft", p.pk)
    try:
        meeting = commentary.meeting_of(p)
        c = commentary.commentary_of(p)
        old = c.text if c else ""
        new = f"{old.rstrip()}\n\n{text}" if old.strip() else text
        commentary.save_commentary(user, p, new, c.revision if c else 0)
    except ValidationError as e:
        _errors(request, e)
        return redirect("speeches:draft", p.pk)
    messages.success(request, "草稿已插入点评，请在此基础上修改")
    return redirect(reverse("meetings:chair_pad", args=[meeting.pk, p.pk]))


@require_POST
@roles_required(*SPEECH_EDITORS)
def polish(request: HttpRequest, participant_id: int) -> HttpResponse:
    """The polished text beside the original (htmx partial); the draft itself is never replaced."""
    p = get_participant(_user(request), participant_id)
    text = request.POST.get("text", "").strip() or commentary_draft(p).plain_text()
    polished, error = "", ""
    try:
        polished = llm.polish(text)
    except llm.PolishError as e:
        error = str(e)
    can_insert = _user(request).has_role(*COMMENTATORS) and Meeting.objects.filter(campaign_id=p.campaign_id).exists()
    return render(request, "speeches/drafts/_polished.html", {"p": p, "polished": polished, "error": error,
                                                              "can_insert": can_insert})


# --- the closing speech outline ----------------------------------------------------------------------

@roles_required(*SPEECH_EDITORS)
def closing(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_campaign(_user(request), campaign_id)
    d = closing_outline(campaign)
    ranked = drafting.common_problems(facts.closing_facts(campaign).problems)
    return render(request, "speeches/drafts/closing.html", {
        "campaign": campaign, "draft": d, "numbered": d.numbered(), "sources": d.sources(), "ranked": ranked})


@roles_required(*SPEECH_EDITORS)
def closing_docx(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_campaign(_user(request), campaign_id)
    d = closing_outline(campaign)
    r = HttpResponse(drafting.closing_docx(d), content_type=DOCX)
    r["Content-Disposition"] = attachment(d.title + '.docx')
    return r


# --- the phrase library ------------------------------------------------------------------------------

def _phrase_form(request: HttpRequest) -> tuple[str, str, str, int]:
    try:
        order = int(request.POST.get("sort_order", "0") or 0)
    except ValueError:
        order = 0
    return (request.POST.get("slot", ""), request.POST.get("category", ""), request.POST.get("text", ""), order)


@roles_required(*SPEECH_EDITORS)
def phrase_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    order = {code: i for i, (code, _) in enumerate(CATEGORIES, start=1)}  # general first, then domain order
    rows = sorted(Phrase.objects.all(), key=lambda p: (order.get(p.category, 0), p.sort_order, p.pk))
    groups = []
    for slot, label in PhraseSlot.choices:
        items = [p for p in rows if p.slot == slot]
        groups.append({"slot": slot, "label": label, "items": items,
                       "active": sum(1 for p in items if p.active)})
    return render(request, "speeches/drafts/phrases.html", {
        "groups": groups, "slots": PhraseSlot.choices, "categories": CATEGORIES,
        "can_edit": user.has_role(*PHRASE_EDITORS)})


@require_POST
@roles_required(*PHRASE_EDITORS)
def phrase_add(request: HttpRequest) -> HttpResponse:
    try:
        p = phrases.create_phrase(_user(request), *_phrase_form(request))
    except ValidationError as e:
        _errors(request, e)
        return redirect("speeches:phrases")
    messages.success(request, "已新增措辞")
    return redirect(reverse("speeches:phrases") + f"#phrase-{p.pk}")


@roles_required(*PHRASE_EDITORS)
def phrase_edit(request: HttpRequest, phrase_id: int) -> HttpResponse:
    phrase = Phrase.objects.filter(pk=phrase_id).first()
    if phrase is None:
        raise Http404("措辞不存在")
    if request.method == "POST":
        try:
            phrases.update_phrase(_user(request), phrase.pk, *_phrase_form(request))
        except ValidationError as e:
            _errors(request, e)
        else:
            messages.success(request, "已保存措辞")
            return redirect(reverse("speeches:phrases") + f"#phrase-{phrase.pk}")
    return render(request, "speeches/drafts/phrase_form.html", {
        "phrase": phrase, "slots": PhraseSlot.choices, "categories": CATEGORIES})


@require_POST
@roles_required(*PHRASE_EDITORS)
def phrase_toggle(request: HttpRequest, phrase_id: int) -> HttpResponse:
    if not Phrase.objects.filter(pk=phrase_id).exists():
        raise Http404("措辞不存在")
    p = phrases.set_phrase_active(_user(request), phrase_id, request.POST.get("active") == "1")
    messages.success(request, "已启用措辞" if p.active else "已停用措辞")
    return redirect(reverse("speeches:phrases") + f"#phrase-{p.pk}")
