"""Pages of reading texts into problems: the list of texts, adding one (paste, upload, from a 点评 or a report),
and the review page (source text with every extracted item highlighted in place beside the editable list of
problems) whose confirmation puts the problems into the 整改台账. SPEECH_EDITORS only; others 403.

The review's edits live in the form until confirmed: one row of fields per problem (works without JavaScript:
edit, category, unit, keep), and a hidden JSON list that review.js keeps in step with the rows after merges and
drops; the server takes the JSON when present, else the rows.
"""

from __future__ import annotations

import itertools
import json
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

    @property
    def a(self) -> int:
        return self.start + 1

    @property
    def anchor(self) -> str:
        return f"s-{self.start + 1}-{self.end}"


@dataclass
class Layout:
    parts: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, kind)
    others: list[tuple[int, int]] = field(default_factory=list)  # items outside the problems
    problems: list[Item] = field(default_factory=list)


def read_layout(st: SpeechText) -> Layout:
    """The reading of the text: parts, problem items (for a report's 存在问题 every item when no part is
    marked as problems), and the other items. Items whose offsets do not match the text are left out."""
    out = Layout()
    text = st.text
    data = reading.read(text).as_json()
    for part in data.get("parts", []):
        kind = str(part.get("kind") or "")
        ps, pe = int(part.get("start", 0)), int(part.get("end", 0))
        if 0 <= ps < pe <= len(text):
            out.parts.append((ps, pe, kind))
        for it in part.get("items", []):
            s, e = int(it.get("start", -1)), int(it.get("end", -1))
            if not (0 <= s < e <= len(text)) or text[s:e] != it.get("text"):
                log.warning("reading item outside the text of SpeechText %s: %s–%s", st.pk, s, e)
                continue
            item = Item(start=s, end=e, text=" ".join(text[s:e].split()), category=str(it.get("category") or ""),
                        unit=st.unit_id, marker=str(it.get("marker") or ""), lead=str(it.get("lead") or ""))
            if kind == "problems":
                out.problems.append(item)
            else:
                out.others.append((s, e))
    if st.kind == TextKind.REPORT and not out.problems:
        out.problems = [Item(start=s, end=e, text=" ".join(text[s:e].split()), unit=st.unit_id)
                        for s, e in out.others]
        out.others = []
    out.problems.sort(key=lambda i: i.start)
    return out


def render_text(text: str, parts: list[tuple[int, int, str]], marks: list[tuple[int, int, str, str]]) -> SafeString:
    """The text as HTML: parts as blocks shaded by kind; the text cut at every part and mark boundary into
    spans carrying data-s/data-e (character offsets), so any union of marks is a run of whole spans; spans under
    marks (start, end, key, css class) carry data-k (the keys covering them) and the mark's class, and a mark's
    first span gets the id s-a-b that ledger links point to. Every character appears once, escaped."""
    cuts = {0, len(text)}
    for s, e in [(p[0], p[1]) for p in parts] + [(m[0], m[1]) for m in marks]:
        cuts.update((max(0, min(s, len(text))), max(0, min(e, len(text)))))
    points = sorted(cuts)
    first_of: dict[int, str] = {}
    for s, _e, _k, _c in sorted(marks, key=lambda m: (m[0], -m[1])):
        first_of.setdefault(s, f"s-{s + 1}-{_e}")
    html: list[str] = []
    open_part: tuple[int, int, str] | None = None
    for a, b in itertools.pairwise(points):
        part = next((p for p in parts if p[0] <= a < p[1]), None)
        if part != open_part:
            if open_part is not None:
                html.append("</div>")
            if part is not None:
                html.append(f'<div class="part p-{escape(part[2])}" data-label="{escape(PART_LABELS.get(part[2], part[2]))}">')
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


def _page(request: HttpRequest, st: SpeechText, items: list[Item] | None = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    try:
        layout = read_layout(st)
    except Exception:  # a reader bug must not hide the text: show it plain, say so
        log.exception("reading SpeechText %s failed", st.pk)
        layout = Layout()
        messages.error(request, "自动提取失败，下面显示原文；请联系管理员")
    entries = list(actions.entries_of(st)) if st.confirmed_at else []
    marks: list[tuple[int, int, str, str]] = [(s, e, f"o{i}", "mk-item") for i, (s, e) in enumerate(layout.others)]
    if st.confirmed_at:
        for e in entries:
            m = LINK_SPAN.search(e.source_link)
            if m:
                marks.append((int(m.group(1)) - 1, int(m.group(2)), f"e{e.pk}", "mk-problem"))
        items = []
    else:
        items = layout.problems if items is None else items
        marks += [(i.start, i.end, f"p{n}", "mk-problem") for n, i in enumerate(items)]
    units = actions.unit_choices(st)
    return render(request, "speeches/reading/review.html", {
        "st": st, "html": render_text(st.text, layout.parts, marks), "items": items, "entries": entries,
        "categories": CATEGORIES, "units": units, "part_labels": PART_LABELS,
        "can_confirm": user.has_role(*LEDGER_MANAGERS) and not st.confirmed_at,
        "n_parts": len(layout.parts)}, status=status)


@roles_required(*SPEECH_EDITORS)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, actions.get_text(_user(request), pk))


def _posted(request: HttpRequest) -> list[dict[str, Any]]:
    """The problems as posted: the hidden JSON list (kept by review.js), else the rows whose 转入 is ticked."""
    raw = request.POST.get("items", "").strip()
    if raw:
        try:
            rows = json.loads(raw)
        except ValueError:
            raise ValidationError("提交的问题列表格式不正确，请刷新页面后重试") from None
        if not isinstance(rows, list):
            raise ValidationError("提交的问题列表格式不正确，请刷新页面后重试")
        return rows
    keep = set(request.POST.getlist("keep"))
    cols = {k: request.POST.getlist(k) for k in ("start", "end", "text", "category", "unit")}
    n = len(cols["start"])
    if any(len(v) != n for v in cols.values()):
        raise ValidationError("提交的问题列表格式不正确，请刷新页面后重试")
    return [{k: cols[k][i] for k in cols} for i in range(n) if str(i) in keep]


@require_POST
@roles_required(*SPEECH_EDITORS)
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    st = actions.get_text(user, pk)
    problems: list[actions.Problem] = []
    try:
        problems = actions.parse_problems(_posted(request))
        entries = actions.confirm(user, st.pk, problems)
    except ValidationError as e:
        st.refresh_from_db()
        if st.confirmed_at:
            _errors(request, e)
            return redirect("speeches:review", st.pk)
        _errors(request, e)
        items = [Item(start=p.start, end=p.end, text=p.text, category=p.category, unit=p.unit)
                 for p in problems if 0 <= p.start < p.end <= len(st.text)]
        return _page(request, st, items or None, status=422)
    messages.success(request, f"{len(entries)} 个问题已转入整改台账")
    return redirect("speeches:review", st.pk)

