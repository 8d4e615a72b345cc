"""The chair's commentary pad (点评): the reporters of the meeting, and per reporter the context (report
highlights, last year's problems and their rectification, key figures) next to the 点评 that saves as the
chair types; the meeting's documents (running order, minutes) as .docx.

Chairs write; organisers and observers read; everybody else gets 403. Thin: access helper, then
shuping.meetings.commentary (actions) or shuping.meetings.docs (documents).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuping.accounts.access import COMMENTATORS, MEETING_READERS, roles_required, visible_campaigns
from shuping.ballots import counting
from shuping.ballots.models import BallotBox, BoxState
from shuping.campaigns.models import Campaign, Participant
from shuping.core.downloads import attachment
from shuping.meetings import commentary, docs
from shuping.meetings.models import AgendaItem, Commentary, ItemKind, Meeting
from shuping.rectification.carry_over import open_entries_for
from shuping.rectification.categories import CATEGORIES
from shuping.rectification.models import EntryState, LedgerEntry
from shuping.reports.models import Report
from shuping.scoring import actions_judging

HIGHLIGHT_CHARS = 300


def _user(request: HttpRequest) -> Any:
    return request.user


def _meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    try:
        return (Meeting.objects.select_related("campaign", "current")
                .get(pk=meeting_id, campaign__in=visible_campaigns(_user(request))))
    except Meeting.DoesNotExist:
        raise Http404("述职评议会不存在或无权查看") from None


def _participant(meeting: Meeting, participant_id: int) -> Participant:
    try:
        return (Participant.objects.select_related("unit", "secretary")
                .get(pk=participant_id, campaign_id=meeting.campaign_id))
    except Participant.DoesNotExist:
        raise Http404("述职人不存在或不在本次会议中") from None


def _reporter_items(meeting: Meeting) -> list[AgendaItem]:
    return list(meeting.items.filter(kind=ItemKind.REPORT, participant__isnull=False)
                .select_related("participant__unit", "participant__secretary").order_by("position"))


def _state_url(meeting: Meeting) -> str:
    """The meeting's state.json (control area) when it is there, else the pad's own small poll."""
    try:
        return reverse("meetings:state", args=[meeting.pk])
    except NoReverseMatch:
        return reverse("meetings:chair_current", args=[meeting.pk])


def _base(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    return {"meeting": meeting, "campaign": meeting.campaign, "items": _reporter_items(meeting),
            "state_url": _state_url(meeting), "can_write": _user(request).has_role(*COMMENTATORS)}


@roles_required(*MEETING_READERS)
def home(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    ctx = _base(request, meeting)
    with_text = set(Commentary.objects.filter(participant__campaign=meeting.campaign)
                    .exclude(text="").values_list("participant_id", flat=True))
    ctx["rows"] = [(it, it.participant_id in with_text) for it in ctx["items"]]
    return render(request, "meetings/chair/home.html", ctx)


@roles_required(*MEETING_READERS)
def current(request: HttpRequest, meeting_id: int) -> JsonResponse:
    """The current agenda item, in the shape of state.json's `current` (used until the control area's
    state.json exists)."""
    meeting = _meeting(request, meeting_id)
    cur = meeting.current
    data = {"meeting": {"id": meeting.pk, "state": meeting.state},
            "current": None if cur is None else {"id": cur.pk, "kind": cur.kind, "title": cur.title}}
    r = JsonResponse(data)
    r["Cache-Control"] = "no-store"
    return r


# --- context of one reporter -------------------------------------------------------------------------

def _previous_campaign(campaign: Campaign) -> Campaign | None:
    return (Campaign.objects.filter(committee_id=campaign.committee_id, year__lt=campaign.year)
            .order_by("-year").first())


def _report_highlights(p: Participant) -> dict[str, Any] | None:
    report = Report.objects.filter(participant=p).first()
    if report is None:
        return None

    def cut(key: str) -> tuple[str, bool]:
        text = (report.sections or {}).get(key, "") or ""
        text = text.strip()
        return text[:HIGHLIGHT_CHARS], len(text) > HIGHLIGHT_CHARS

    perf, perf_more = cut("performance")
    probs, probs_more = cut("problems")
    return {"report": report, "performance": perf, "performance_more": perf_more, "problems": probs,
            "problems_more": probs_more}


def _last_year_problems(p: Participant, previous: Campaign | None) -> list[dict[str, Any]]:
    """Open entries carried over, then the unit's earlier entries closed since last year's campaign."""
    open_rows = list(open_entries_for(p.unit_id, p.campaign))
    closed = (LedgerEntry.objects.filter(unit_id=p.unit_id, state=EntryState.CLOSED)
              .exclude(campaign=p.campaign).select_related("campaign"))
    if previous is not None:
        closed = closed.filter(closed_at__gte=previous.created_at)
    else:
        closed = closed.filter(closed_at__gte=p.campaign.created_at - timedelta(days=366))
    today = timezone.localdate()
    rows = []
    for e in [*open_rows, *closed.order_by("closed_at", "pk")]:
        rows.append({"entry": e, "overdue": e.state != EntryState.CLOSED and e.deadline is not None
                     and e.deadline < today})
    return rows


def _good_rate_last_year(p: Participant, previous: Campaign | None) -> str | None:
    if previous is None:
        return None
    box = BallotBox.objects.filter(campaign=previous, state=BoxState.PUBLISHED).select_related("campaign").first()
    if box is None:
        return None
    lines = counting.lines_of(box)
    index = next((i for i, ln in enumerate(lines) if ln.participant.unit_id == p.unit_id), None)
    if index is None:
        return None
    return counting.tally_box(box, len(lines)).lines[index].good_rate_display


def _judges(p: Participant) -> actions_judging.ProgressRow | None:
    return next((r for r in actions_judging.progress(p.campaign) if r.participant.pk == p.pk), None)


def _pad_context(request: HttpRequest, meeting: Meeting, p: Participant) -> dict[str, Any]:
    ctx = _base(request, meeting)
    c = commentary.commentary_of(p)
    previous = _previous_campaign(meeting.campaign)
    item = next((it for it in ctx["items"] if it.participant_id == p.pk), None)
    ctx.update({
        "p": p, "item": item, "commentary": c, "text": c.text if c else "", "revision": c.revision if c else 0,
        "saved_at": c.updated_at if c and c.revision else None,
        "problems": commentary.problem_rows(c), "categories": CATEGORIES,
        "highlights": _report_highlights(p), "ledger": _last_year_problems(p, previous),
        "previous": previous, "good_rate": _good_rate_last_year(p, previous), "judges": _judges(p),
        "limit": docs.duration(item.planned_seconds * 1000) if item else "",
        "overrun": docs.duration(item.overrun_ms) if item and item.overrun_ms else "",
    })
    return ctx


@roles_required(*MEETING_READERS)
def pad(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    p = _participant(meeting, participant_id)
    return render(request, "meetings/chair/pad.html", _pad_context(request, meeting, p))


def _problems_html(request: HttpRequest, meeting: Meeting, p: Participant, errors: list[str] | None = None) -> str:
    c = commentary.commentary_of(p)
    return render_to_string("meetings/chair/_problems.html", {
        "meeting": meeting, "p": p, "problems": commentary.problem_rows(c), "categories": CATEGORIES,
        "can_write": _user(request).has_role(*COMMENTATORS), "errors": errors}, request=request)


@roles_required(*MEETING_READERS)
def problems(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    p = _participant(meeting, participant_id)
    return HttpResponse(_problems_html(request, meeting, p))


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


@require_POST
@roles_required(*COMMENTATORS)
def save(request: HttpRequest, meeting_id: int, participant_id: int) -> JsonResponse:
    """Autosave: {text, revision} → 200 {revision, saved_at, problems_html}, or 409 {text, revision} when
    another window saved since, or 422 {errors}."""
    meeting = _meeting(request, meeting_id)
    p = _participant(meeting, participant_id)
    revision = _int(request.POST.get("revision"))
    if revision is None:
        return JsonResponse({"errors": ["缺少版本号"]}, status=422)
    try:
        c = commentary.save_commentary(_user(request), p, request.POST.get("text", ""), revision)
    except commentary.StaleRevision as e:
        return JsonResponse({"errors": e.messages, "text": e.text, "revision": e.revision}, status=409)
    except ValidationError as e:
        return JsonResponse({"errors": e.messages}, status=422)
    saved = timezone.localtime(c.updated_at)
    return JsonResponse({"revision": c.revision, "saved_at": saved.strftime("%H:%M:%S"),
                         "problems_html": _problems_html(request, meeting, p)})


def _after_problem(request: HttpRequest, meeting: Meeting, p: Participant, error: ValidationError | None
                   ) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return HttpResponse(_problems_html(request, meeting, p, error.messages if error else None))
    if error is not None:
        for m in error.messages:
            messages.error(request, m)
    return redirect("meetings:chair_pad", meeting.pk, p.pk)


@require_POST
@roles_required(*COMMENTATORS)
def problem_add(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    p = _participant(meeting, participant_id)
    post = request.POST
    error = None
    try:
        commentary.add_problem(_user(request), p, post.get("text", ""), post.get("category", ""),
                               start=_int(post.get("start")), end=_int(post.get("end")), quote=post.get("quote", ""))
    except ValidationError as e:
        error = e
    return _after_problem(request, meeting, p, error)


@require_POST
@roles_required(*COMMENTATORS)
def problem_edit(request: HttpRequest, meeting_id: int, participant_id: int, problem_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    p = _participant(meeting, participant_id)
    error = None
    try:
        commentary.update_problem(_user(request), p, problem_id, request.POST.get("text", ""),
                                  request.POST.get("category", ""))
    except ValidationError as e:
        error = e
    return _after_problem(request, meeting, p, error)


@require_POST
@roles_required(*COMMENTATORS)
def problem_delete(request: HttpRequest, meeting_id: int, participant_id: int, problem_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    p = _participant(meeting, participant_id)
    error = None
    try:
        commentary.delete_problem(_user(request), p, problem_id)
    except ValidationError as e:
        error = e
    return _after_problem(request, meeting, p, error)


# --- documents ---------------------------------------------------------------------------------------

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _docx(data: bytes, name: str) -> HttpResponse:
    r = HttpResponse(data, content_type=DOCX)
    r["Content-Disposition"] = attachment(name)
    return r


@roles_required(*MEETING_READERS)
def running_order(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    return _docx(docs.running_order(meeting), f"{meeting.campaign.title}-会议议程和主持词.docx")


@roles_required(*MEETING_READERS)
def minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    return _docx(docs.minutes(meeting), f"{meeting.campaign.title}-会议记录.docx")
