"""Pages of reading texts into problems: the list of texts, adding one (paste, upload, from a 点评 or a report),
and the review page (source text with every extracted item highlighted in place beside the editable list of
problems) whose confirmation puts the problems into the 整改台账. SPEECH_EDITORS only; others 403.

Two kinds of review edit. Corrections of the reading (a part boundary moved, an item joined to the one before,
split at a sentence, dropped) are one click each, go through `actions.correct`, are audited and kept on the text;
low-confidence parts and items are flagged so the reviewer checks those first. The wording, category and unit of
each problem live in the form (one row of fields per problem) until confirmed; a correction button posts the
form, so those edits carry over. Join and drop work without JavaScript; moving a boundary and splitting use the
menu review.js opens on a sentence of the source text.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import LEDGER_MANAGERS, SPEECH_EDITORS, roles_required
from shuping.rectification.categories import CATEGORIES
from shuping.speeches import actions, reading
from shuping.speeches.models import SpeechText, TextKind

log = logging.getLogger(__name__)

PART_LABELS = {"opening": "开头", "achievements": "成绩", "problems": "问题", "requirements": "要求/建议",
               "closing": "结尾"}
LINK_SPAN = re.compile(r"#s-(\d+)-(\d+)$")


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, e: ValidationError) -> None:
    for m in e.messages:
        messages.error(request, m)


# ---------------------------------------------------------------- list and new


@roles_required(*SPEECH_EDITORS)
def texts(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = actions.visible_texts(user).order_by("-created_at", "-pk")
    return render(request, "speeches/reading/list.html", {"texts": rows})


def _pick(qs: Any, value: str | None) -> Any:
    if not value:
        return None
    try:
        return qs.get(pk=int(value))
    except (ValueError, TypeError, qs.model.DoesNotExist):
        raise ValidationError("所选项目不存在，请重新选择") from None


@roles_required(*SPEECH_EDITORS)
def new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    campaigns = access.visible_campaigns(user).order_by("-year", "-pk")
    units = access.visible_units(user).order_by("sort_order", "code")
    form: dict[str, Any] = {"kind": TextKind.SPEECH, "title": "", "text": "", "campaign": "", "unit": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            campaign = _pick(campaigns, form["campaign"])
            unit = _pick(units, form["unit"])
            text, source_name = form["text"], ""
            upload = request.FILES.get("file")
            if upload is not None:
                text, source_name = actions.decode_upload(upload), upload.name or ""
                if not form["title"].strip():
                    form["title"] = source_name.rsplit(".", 1)[0]
            st = actions.create_text(user, kind=form["kind"], title=form["title"], text=text, campaign=campaign,
                                     unit=unit, source_name=source_name)
        except ValidationError as e:
            _errors(request, e)
        else:
            messages.success(request, f"已读取《{st.title}》，请核对提取出的问题")
            return redirect("speeches:review", st.pk)
    return render(request, "speeches/reading/new.html", {
        "form": form, "kinds": TextKind.choices, "campaigns": campaigns, "units": units,
        "commentaries": actions.commentary_sources(user), "reports": actions.report_sources(user),
        "max_mb": actions.MAX_UPLOAD // (1024 * 1024)})


@require_POST
@roles_required(*SPEECH_EDITORS)
def from_commentary(request: HttpRequest) -> HttpResponse:
    try:
        st = actions.from_commentary(_user(request), int(request.POST.get("participant") or 0))
    except (ValidationError, ValueError) as e:
        _errors(request, e if isinstance(e, ValidationError) else ValidationError("请选择述职对象"))
        return redirect("speeches:text_new")
    messages.success(request, f"已读取《{st.title}》，请核对提取出的问题")
    return redirect("speeches:review", st.pk)


@require_POST
@roles_required(*SPEECH_EDITORS)
def from_report(request: HttpRequest) -> HttpResponse:
    try:
        st = actions.from_report(_user(request), int(request.POST.get("participant") or 0))
    except (ValidationError, ValueError) as e:
        _errors(request, e if isinstance(e, ValidationError) else ValidationError("请选择述职对象"))
        return redirect("speeches:text_new")
    messages.success(request, f"已读取《{st.title}》，请核对提取出的问题")
    return redirect("speeches:review", st.pk)


# ---------------------------------------------------------------- the reading, laid out


@dataclass
class Item:
    """A problem in the review list."""

    start: int
    end: int
    text: str
    category: str = ""
    unit: int | None = None
    marker: str = ""
    lead: str = ""
    marker_start: int = -1
    confidence: float = 1.0
    reason: str = ""
    category_reason: str = ""
    first_in_part: bool = False

    @property
    def a(self) -> int:
        return self.start + 1

    @property
    def anchor(self) -> str:
        return f"s-{self.start + 1}-{self.end}"

    @property
    def low(self) -> bool:
        return self.confidence < reading.LOW


@dataclass
class PartView:
    start: int
    end: int
    kind: str
    confidence: float
    reason: str

    @property
    def label(self) -> str:
        return PART_LABELS.get(self.kind, self.kind)

    @property
    def low(self) -> bool:
        return self.confidence < reading.LOW


@dataclass
class Layout:
    parts: list[PartView] = field(default_factory=list)
    others: list[tuple[int, int]] = field(default_factory=list)  # items outside the problems
    problems: list[Item] = field(default_factory=list)
    sentences: list[int] = field(default_factory=list)  # where a part may start or an item be split
    items: list[list[Any]] = field(default_factory=list)  # [marker_start, start, end, kind, first in part]


def read_layout(st: SpeechText) -> Layout:
    """The reading of the text with its corrections: parts, problem items (for a report's 存在问题 every item
    when no part is marked as problems), the other items, and where corrections may be made. Items whose offsets
    do not match the text are left out."""
    out = Layout()
    text = st.text
    result = actions.reading_of(st)
    data = result.as_json()
    for part in data.get("parts", []):
        kind = str(part.get("kind") or "")
        ps, pe = int(part.get("start", 0)), int(part.get("end", 0))
        if 0 <= ps < pe <= len(text):
            out.parts.append(PartView(ps, pe, kind, float(part.get("confidence", 1)), str(part.get("reason") or "")))
        for n, it in enumerate(part.get("items", [])):
            s, e = int(it.get("start", -1)), int(it.get("end", -1))
            if not (0 <= s < e <= len(text)) or text[s:e] != it.get("text"):
                log.warning("reading item outside the text of SpeechText %s: %s–%s", st.pk, s, e)
                continue
            item = Item(start=s, end=e, text=" ".join(text[s:e].split()), category=str(it.get("category") or ""),
                        unit=st.unit_id, marker=str(it.get("marker") or ""), lead=str(it.get("lead") or ""),
                        marker_start=int(it.get("marker_start", s)), confidence=float(it.get("confidence", 1)),
                        reason=str(it.get("reason") or ""), category_reason=str(it.get("category_reason") or ""),
                        first_in_part=n == 0)
            out.items.append([item.marker_start, s, e, kind, n == 0])
            if kind == "problems":
                out.problems.append(item)
            else:
                out.others.append((s, e))
    if st.kind == TextKind.REPORT and not out.problems:
        out.problems = [Item(start=s, end=e, text=" ".join(text[s:e].split()), unit=st.unit_id, marker_start=s,
                             reason="未分出“问题”部分，列出全部条目")
                        for s, e in out.others]
        out.others = []
    out.problems.sort(key=lambda i: i.start)
    out.sentences = reading.sentence_starts(text)
    return out


def render_text(text: str, parts: list[Any], marks: list[tuple[int, int, str, str]],
                breaks: list[int] | None = None) -> SafeString:
    """The text as HTML: parts (start, end, kind[, PartView]) as blocks shaded by kind, a low-confidence part
    flagged with its reason; the text cut at every part, mark and break (sentence start) into spans carrying
    data-s/data-e (character offsets), so any union of marks is a run of whole spans; spans under marks (start,
    end, key, css class) carry data-k (the keys covering them) and the mark's class, and a mark's first span gets
    the id s-a-b that ledger links point to. Every character appears once, escaped."""
    cuts = {0, len(text)}
    for s, e in [(p[0], p[1]) for p in parts] + [(m[0], m[1]) for m in marks]:
        cuts.update((max(0, min(s, len(text))), max(0, min(e, len(text)))))
    cuts.update(b for b in (breaks or []) if 0 <= b <= len(text))
    points = sorted(cuts)
    first_of: dict[int, str] = {}
    for s, _e, _k, _c in sorted(marks, key=lambda m: (m[0], -m[1])):
        first_of.setdefault(s, f"s-{s + 1}-{_e}")
    html: list[str] = []
    open_part: Any = None
    for a, b in itertools.pairwise(points):
        part = next((p for p in parts if p[0] <= a < p[1]), None)
        if part != open_part:
            if open_part is not None:
                html.append("</div>")
            if part is not None:
                view = part[3] if len(part) > 3 else None
                label = PART_LABELS.get(part[2], part[2])
                extra = ""
                if view is not None and view.low:
                    label += "？请核对"
                    extra = f' title="{escape(view.reason)}" data-low="1"'
                elif view is not None:
                    extra = f' title="{escape(view.reason)}"'
                html.append(f'<div class="part p-{escape(part[2])}{" low" if view is not None and view.low else ""}" '
                            f'id="part-{part[0]}" data-kind="{escape(part[2])}" data-label="{escape(label)}"{extra}>')
            open_part = part
        covering = [m for m in marks if m[0] <= a < m[1]]
        chunk = escape(text[a:b])
        if covering:
            keys = " ".join(m[2] for m in covering)
            anchor = f' id="{first_of[a]}"' if a in first_of else ""
            html.append(f'<span class="mk {covering[0][3]}" data-k="{keys}" data-s="{a}" data-e="{b}"{anchor}>'
                        f"{chunk}</span>")
        else:
            html.append(f'<span data-s="{a}" data-e="{b}">{chunk}</span>')
    if open_part is not None:
        html.append("</div>")
    return mark_safe("".join(html))  # every piece of text is escaped above


def _overlay(items: list[Item], posted: list[dict[str, Any]]) -> list[Item]:
    """The reading's problems with the reviewer's unsaved edits (wording, category, unit) from the posted rows:
    a row of the same span keeps all three; an item made of several rows (joined) keeps their first category and
    unit."""
    rows = []
    for row in posted:
        start, end = actions._as_int(row.get("start")), actions._as_int(row.get("end"))
        if start is not None and end is not None:
            rows.append((start, end, row))
    for item in items:
        same = [r for s, e, r in rows if (s, e) == (item.start, item.end)]
        inside = [r for s, e, r in rows if item.start <= s and e <= item.end]
        if same:
            item.text = " ".join(str(same[0].get("text") or "").split()) or item.text
        for row in same or inside:
            if str(row.get("category") or "") and (same or not item.category):
                item.category = str(row.get("category"))
                break
        for row in same or inside:
            unit = actions._as_int(row.get("unit"))
            if unit is not None:
                item.unit = unit
                break
    return items


def _page(request: HttpRequest, st: SpeechText, posted: list[dict[str, Any]] | None = None,
          status: int = 200) -> HttpResponse:
    user = _user(request)
    try:
        layout = read_layout(st)
    except Exception:  # a reader bug must not hide the text: show it plain, say so
        log.exception("reading SpeechText %s failed", st.pk)
        layout = Layout()
        messages.error(request, "自动提取失败，下面显示原文；请联系管理员")
    entries = list(actions.entries_of(st)) if st.confirmed_at else []
    marks: list[tuple[int, int, str, str]] = [(s, e, f"o{i}", "mk-item") for i, (s, e) in enumerate(layout.others)]
    items: list[Item] = []
    if st.confirmed_at:
        for e in entries:
            m = LINK_SPAN.search(e.source_link)
            if m:
                marks.append((int(m.group(1)) - 1, int(m.group(2)), f"e{e.pk}", "mk-problem"))
    else:
        items = _overlay(layout.problems, posted or [])
        marks += [(i.start, i.end, f"p{n}", "mk-problem mk-low" if i.low else "mk-problem")
                  for n, i in enumerate(items)]
    units = actions.unit_choices(st)
    checks = [p for p in layout.parts if p.low]
    parts = [(p.start, p.end, p.kind, p) for p in layout.parts]
    return render(request, "speeches/reading/review.html", {
        "st": st, "html": render_text(st.text, parts, marks, None if st.confirmed_at else layout.sentences),
        "items": items, "entries": entries, "categories": CATEGORIES, "units": units, "part_labels": PART_LABELS,
        "can_confirm": user.has_role(*LEDGER_MANAGERS) and not st.confirmed_at,
        "n_parts": len(layout.parts), "low_parts": checks, "low_items": [i for i in items if i.low],
        "n_checks": len(checks) + sum(1 for i in items if i.low),
        "corrections": len(st.corrections or []),
        "map": {"sentences": layout.sentences, "items": layout.items,
                "parts": [[p.start, p.kind] for p in layout.parts]}}, status=status)


@roles_required(*SPEECH_EDITORS)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, actions.get_text(_user(request), pk))


def _posted(request: HttpRequest) -> list[dict[str, Any]]:
    """The problems as posted: one row of fields (start, end, text, category, unit) per problem."""
    cols = {k: request.POST.getlist(k) for k in ("start", "end", "text", "category", "unit")}
    n = len(cols["start"])
    if any(len(v) != n for v in cols.values()):
        raise ValidationError("提交的问题列表格式不正确，请刷新页面后重试")
    return [{k: cols[k][i] for k in cols} for i in range(n)]


def _fix(value: str) -> reading.Correction:
    """"op:at[:kind]" as posted by a correction button, e.g. "join:120", "part:88:problems", "nopart::closing"."""
    op, _, rest = (value or "").partition(":")
    at, _, kind = rest.partition(":")
    return reading.Correction(op, actions._as_int(at), kind or None)


@require_POST
@roles_required(*SPEECH_EDITORS)
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """One correction of the reading (a button on the review page, which posts the review form so that unsaved
    edits of wording, category and unit carry over), or the undo of the last one (fix = "undo")."""
    user = _user(request)
    st = actions.get_text(user, pk)
    try:
        posted = _posted(request)
    except ValidationError:
        posted = []
    fix = request.POST.get("fix", "")
    try:
        st = actions.undo_correction(user, st.pk) if fix == "undo" else actions.correct(user, st.pk, _fix(fix))
    except ValidationError as e:
        _errors(request, e)
        st.refresh_from_db()
        if st.confirmed_at:
            return redirect("speeches:review", st.pk)
        return _page(request, st, posted, status=422)
    messages.success(request, "已撤销上一处更正" if fix == "undo" else "已更正读取结果")
    return _page(request, st, posted)


@require_POST
@roles_required(*SPEECH_EDITORS)
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    st = actions.get_text(user, pk)
    posted: list[dict[str, Any]] = []
    try:
        posted = _posted(request)
        entries = actions.confirm(user, st.pk, actions.parse_problems(posted))
    except ValidationError as e:
        st.refresh_from_db()
        _errors(request, e)
        if st.confirmed_at:
            return redirect("speeches:review", st.pk)
        return _page(request, st, posted, status=422)
    messages.success(request, f"{len(entries)} 个问题已转入整改台账")
    return redirect("speeches:review", st.pk)
