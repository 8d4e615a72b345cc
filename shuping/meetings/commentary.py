"""The chair's 点评 actions: autosave of the commentary text, the problems tagged in it, and their hand-over
to the 整改台账 when the meeting ends.

- `save_commentary` is called by the pad's autosave (every ~1 s while typing, and on blur / page hide). The
  client sends the revision it last saw; a different stored revision means another window saved in between:
  `StaleRevision` (a ValidationError carrying the stored text) is raised and nothing is overwritten.
- A problem tagged from a selection keeps character offsets [start, end) into the text. When the text is
  edited, every span is re-anchored: first through the edit (common prefix/suffix of old and new text), then,
  when the edit touched it, by the quoted words within the edited part nearest to where they were. When they
  are gone, the problem is kept with an empty span (start == end) at the old place: the pad shows it as
  “原文已修改” (no extra column: start == end never comes from a selection). A problem typed by hand has no
  offsets (start and end None).
- `problems_to_ledger` (called by the meeting's end action) turns every problem not yet handed over into a
  `LedgerEntry` (source 点评); it is idempotent. A problem added after the meeting ended goes to the ledger at
  once. A handed-over problem is edited in the ledger, no longer here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from shuping.accounts.access import COMMENTATORS, MEETING_RUNNERS, check_roles
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.campaigns.models import Participant
from shuping.meetings.models import Commentary, CommentaryProblem, Meeting, MeetingState
from shuping.rectification.categories import LABELS
from shuping.rectification.models import LedgerEntry, Source

MAX_TEXT = 20_000
MAX_PROBLEM = 1_000
HANDED_OVER = "该问题已转入整改台账，请在整改台账中修改"


class StaleRevision(ValidationError):
    """The text was saved from another window since this one loaded it: the stored text and revision."""

    def __init__(self, commentary: Commentary) -> None:
        super().__init__("另一窗口已修改此点评，本窗口的修改未保存")
        self.text = commentary.text
        self.revision = commentary.revision


def reporter_label(p: Participant) -> str:
    return f"{p.unit.name}{'（' + p.secretary.name + '）' if p.secretary_id else ''}"


def meeting_of(participant: Participant) -> Meeting:
    meeting = Meeting.objects.filter(campaign_id=participant.campaign_id).first()
    if meeting is None:
        raise ValidationError("本考核方案尚未安排述职评议会")
    return meeting


def commentary_of(participant: Participant) -> Commentary | None:
    return Commentary.objects.filter(participant=participant).first()


def _lock(participant: Participant) -> Commentary:
    """The participant's commentary row, locked; created on first use (the participant row lock keeps two
    first saves from both inserting)."""
    Participant.objects.select_for_update().get(pk=participant.pk)
    c = Commentary.objects.select_for_update().filter(participant=participant).first()
    if c is None:
        c = Commentary.objects.create(participant=participant)
    return c


# --- anchoring problems to the text -------------------------------------------------------------------

def anchor_state(problem: CommentaryProblem) -> str:
    """'typed' (no offsets), 'ok' (a span of the text) or 'lost' (the quoted words were edited away)."""
    if problem.start is None or problem.end is None:
        return "typed"
    return "ok" if problem.end > problem.start else "lost"


def reanchor(old: str, new: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the span old[start:end] is in `new`, or None when its words are no longer there."""
    quote = old[start:end]
    if not quote:
        return None
    # The edit is the middle part between the longest common prefix and suffix.
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    if end <= prefix:
        candidate = (start, end)
    elif start >= len(old) - suffix:
        shift = len(new) - len(old)
        candidate = (start + shift, end + shift)
    else:
        candidate = None
    if candidate and new[candidate[0]:candidate[1]] == quote:
        return candidate
    # The edit touched the span: the same words within the edited part, nearest to where they were. Equal words
    # in the unchanged parts are other places of the text, not this span.
    changed_end = len(new) - suffix
    best = None
    i = new.find(quote)
    while i != -1:
        if i + len(quote) > prefix and i < changed_end and (best is None or abs(i - start) < abs(best - start)):
            best = i
        i = new.find(quote, i + 1)
    return None if best is None else (best, best + len(quote))


def nearest(text: str, quote: str, near: int) -> tuple[int, int] | None:
    best = None
    i = text.find(quote) if quote else -1
    while i != -1:
        if best is None or abs(i - near) < abs(best - near):
            best = i
        i = text.find(quote, i + 1)
    return None if best is None else (best, best + len(quote))


def _reanchor_all(commentary: Commentary, old: str, new: str) -> None:
    for p in commentary.problems.select_for_update():
        if anchor_state(p) != "ok":
            continue
        assert p.start is not None and p.end is not None
        where = reanchor(old, new, p.start, p.end)
        if where is None:
            where = (min(p.start, len(new)), min(p.start, len(new)))  # 原文已修改
        if where != (p.start, p.end):
            p.start, p.end = where
            p.save(update_fields=["start", "end"])


# --- actions ---------------------------------------------------------------------------------------

@transaction.atomic
def save_commentary(actor: User, participant: Participant, text: str, revision: int) -> Commentary:
    """Store the chair's text if `revision` is the stored one (else StaleRevision); re-anchor the problems."""
    check_roles(actor, *COMMENTATORS)
    meeting_of(participant)
    text = text.replace("\r\n", "\n")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"点评不能超过 {MAX_TEXT} 字")
    c = _lock(participant)
    if text == c.text:
        return c  # also a resend whose first answer was lost: already saved
    if revision != c.revision:
        raise StaleRevision(c)
    old = c.text
    c.text = text
    c.revision += 1
    c.author = actor
    c.save()
    _reanchor_all(c, old, text)
    record(actor, "meeting.commentary_save", c, f"保存对{reporter_label(participant)}的点评（{len(text)} 字）",
           {"participant": participant.pk, "revision": c.revision, "chars": len(text)})
    return c


def _check_category(category: str) -> str:
    if category not in LABELS:
        raise ValidationError("请选择问题类别")
    return category


def _check_text(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValidationError("请填写问题")
    if len(text) > MAX_PROBLEM:
        raise ValidationError(f"问题不能超过 {MAX_PROBLEM} 字")
    return text


@transaction.atomic
def add_problem(actor: User, participant: Participant, text: str, category: str, *, start: int | None = None,
                end: int | None = None, quote: str = "") -> CommentaryProblem:
    """Tag a problem: typed (no offsets), or selected in the saved text as [start, end). When the text was
    saved again since the selection, the selected words `quote` are looked up nearest to `start`."""
    check_roles(actor, *COMMENTATORS)
    meeting = meeting_of(participant)
    category = _check_category(category)
    c = _lock(participant)
    if start is not None or end is not None:
        if start is None or end is None or not 0 <= start < end:
            raise ValidationError("所选文字的位置无效，请重新选择")
        if quote and c.text[start:end] != quote:
            where = nearest(c.text, quote, start)
            if where is None:
                raise ValidationError("所选文字已被修改，请重新选择后再标记")
            start, end = where
        if end > len(c.text) or not c.text[start:end].strip():
            raise ValidationError("所选文字不在已保存的点评中，请稍候重新选择")
        if not text.strip():
            text = c.text[start:end]
    problem = CommentaryProblem.objects.create(commentary=c, text=_check_text(text), category=category,
                                               start=start, end=end)
    where_text = f"（第 {start + 1}–{end} 字）" if start is not None and end is not None else ""
    record(actor, "meeting.problem_add", problem,
           f"在对{reporter_label(participant)}的点评中标记问题{where_text}：{problem.text[:60]}（{LABELS[category]}）",
           {"participant": participant.pk, "category": category, "start": start, "end": end})
    if meeting.state == MeetingState.ENDED:
        _hand_over(actor, meeting, [problem])
    return problem


def _own_problem(participant: Participant, problem_id: int) -> CommentaryProblem:
    try:
        p = (CommentaryProblem.objects.select_for_update()
             .get(pk=problem_id, commentary__participant=participant))
    except CommentaryProblem.DoesNotExist:
        raise ValidationError("该问题不存在或已删除") from None
    if p.ledger_entry_id is not None:
        raise ValidationError(HANDED_OVER)
    return p


@transaction.atomic
def update_problem(actor: User, participant: Participant, problem_id: int, text: str, category: str
                   ) -> CommentaryProblem:
    check_roles(actor, *COMMENTATORS)
    p = _own_problem(participant, problem_id)
    before = {"text": p.text, "category": p.category}
    p.text = _check_text(text)
    p.category = _check_category(category)
    p.save(update_fields=["text", "category"])
    record(actor, "meeting.problem_update", p, f"修改对{reporter_label(participant)}点评中的问题：{p.text[:60]}"
           f"（{LABELS[p.category]}）", {"before": before, "text": p.text, "category": p.category})
    return p


@transaction.atomic
def delete_problem(actor: User, participant: Participant, problem_id: int) -> None:
    check_roles(actor, *COMMENTATORS)
    p = _own_problem(participant, problem_id)
    record(actor, "meeting.problem_delete", p, f"删除对{reporter_label(participant)}点评中的问题：{p.text[:60]}",
           {"text": p.text, "category": p.category, "start": p.start, "end": p.end})
    p.delete()


def source_ref(problem: CommentaryProblem) -> str:
    if anchor_state(problem) == "ok":
        return f"点评 第 {problem.start + 1}–{problem.end} 字"  # type: ignore[operator]
    return "点评"


def _hand_over(actor: User, meeting: Meeting, problems: list[CommentaryProblem]) -> list[LedgerEntry]:
    entries = []
    for p in problems:
        part = p.commentary.participant
        entry = LedgerEntry.objects.create(
            campaign=meeting.campaign, unit=part.unit, problem=p.text, category=p.category,
            source=Source.COMMENTARY, source_ref=source_ref(p),
            source_link=reverse("meetings:chair_pad", args=[meeting.pk, part.pk]), created_by=actor)
        p.ledger_entry = entry
        p.save(update_fields=["ledger_entry"])
        entries.append(entry)
    if entries:
        units = sorted({e.unit.name for e in entries})
        record(actor, "meeting.problems_to_ledger", meeting,
               f"点评中标记的 {len(entries)} 个问题转入整改台账（{'、'.join(units)}）",
               {"count": len(entries), "entries": [e.pk for e in entries],
                "problems": [p.pk for p in problems]})
    return entries


@transaction.atomic
def problems_to_ledger(actor: User, meeting: Meeting) -> list[LedgerEntry]:
    """Every tagged problem of the meeting's reporters without a ledger entry becomes one. Idempotent: a
    second call finds nothing left and changes (and audits) nothing."""
    check_roles(actor, *MEETING_RUNNERS, *COMMENTATORS)
    problems = list(CommentaryProblem.objects.select_for_update(of=("self",))
                    .filter(commentary__participant__campaign_id=meeting.campaign_id, ledger_entry__isnull=True)
                    .select_related("commentary__participant__unit")
                    .order_by("commentary__participant__speaking_order", "commentary__participant__unit__sort_order",
                              "start", "pk"))
    return _hand_over(actor, meeting, problems)


@dataclass
class ProblemRow:
    problem: CommentaryProblem
    state: str  # typed | ok | lost
    quote: str

    @property
    def category_label(self) -> str:
        return LABELS.get(self.problem.category, self.problem.category)

    @property
    def where(self) -> str:
        p = self.problem
        if self.state == "ok":
            return f"第 {p.start + 1}–{p.end} 字"  # type: ignore[operator]
        return "原文已修改" if self.state == "lost" else "手动录入"


def problem_rows(commentary: Commentary | None) -> list[ProblemRow]:
    if commentary is None:
        return []
    rows = []
    # In the order of the text, then the typed ones (NULL sorts first on SQLite, last on PostgreSQL).
    for p in sorted(commentary.problems.all(), key=lambda p: (p.start is None, p.start or 0, p.pk)):
        state = anchor_state(p)
        quote = commentary.text[p.start:p.end] if state == "ok" else ""  # type: ignore[misc]
        rows.append(ProblemRow(problem=p, state=state, quote=quote))
    return rows
