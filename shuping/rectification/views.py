"""整改台账 pages: the ledger (问题清单 / 任务清单 / 责任清单 as views of one list), an entry with its progress,
evidence and closure, the organiser's entry form, entries from ballot comments, and evidence downloads.

Thin: the access rules live in `actions` (readers see all; a unit's owners and reporter their own unit only,
another unit's entry answers 404; organisers write and verify).
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import LEDGER_MANAGERS, LEDGER_READERS, LEDGER_UNIT_ROLES, roles_required
from shuping.orgs.models import Person, Unit
from shuping.rectification import actions, evidence
from shuping.rectification.categories import CATEGORIES
from shuping.rectification.models import EntryState, LedgerEntry, Source

VIEWERS = LEDGER_READERS + LEDGER_UNIT_ROLES
LISTS = {"problems": "问题清单", "tasks": "任务清单", "people": "责任清单"}
SOURCE_CHOICES = [(s.value, s.label) for s in actions.ENTRY_SOURCES]


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, e: ValidationError) -> None:
    for m in e.messages:
        messages.error(request, m)


def _int(v: Any) -> int | None:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- the ledger


@roles_required(*VIEWERS)
def ledger(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    g = request.GET
    f = actions.Filters(unit=_int(g.get("unit")), category=g.get("category", ""), source=g.get("source", ""),
                        state=g.get("state", ""), overdue=g.get("overdue", ""), year=_int(g.get("year")),
                        campaign=_int(g.get("campaign")), q=g.get("q", ""))
    view = g.get("view", "problems")
    if view not in LISTS:
        view = "problems"
    rows = actions.search(user, f, actions.timezone.localdate())
    units = access.visible_units(user).filter(pk__in=actions.visible_entries(user).values("unit_id"))
    years = sorted({y for y in actions.visible_entries(user).values_list("campaign__year", flat=True) if y},
                   reverse=True)
    query = g.copy()
    query.pop("view", None)
    return render(request, "rectification/ledger.html", {
        "rows": rows, "f": f, "view": view, "lists": LISTS, "units": units, "years": years,
        "categories": CATEGORIES, "sources": Source.choices, "states": EntryState.choices,
        "overdue_choices": actions.OVERDUE_CHOICES, "query": query.urlencode(),
        "can_edit": user.has_role(*LEDGER_MANAGERS), "wide": actions.can_read_all(user),
        "n_flagged": sum(1 for _, s in rows if s.flagged),
    })


# ---------------------------------------------------------------- an entry


def _evidence_by_progress(entry: LedgerEntry) -> tuple[dict[int, list[Any]], list[Any]]:
    by: dict[int, list[Any]] = {}
    closure = []
    for e in entry.evidence.order_by("uploaded_at", "pk"):
        if e.progress_id:
            by.setdefault(e.progress_id, []).append(e)
        if e.for_closure:
            closure.append(e)
    return by, closure


@roles_required(*VIEWERS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    entry = actions.get_entry(user, pk)
    by_progress, closure_files = _evidence_by_progress(entry)
    progress = list(entry.progress_reports.select_related("author"))
    for r in progress:
        r.files = by_progress.get(r.pk, [])  # type: ignore[attr-defined]
    is_member = actions.is_unit_member(user, entry)
    is_manager = user.has_role(*LEDGER_MANAGERS)
    open_ = entry.state == EntryState.OPEN
    requested = entry.state == EntryState.REQUESTED
    return render(request, "rectification/detail.html", {
        "entry": entry, "status": actions.status(entry), "progress": progress, "closure_files": closure_files,
        "all_files": list(entry.evidence.order_by("uploaded_at", "pk")),
        "can_progress": is_member and open_, "can_request": is_member and open_,
        "can_verify": is_manager and requested and entry.closure_requested_by_id != user.pk,
        "own_request": is_manager and requested and entry.closure_requested_by_id == user.pk,
        "can_reopen": is_manager and entry.state == EntryState.CLOSED,
        "can_edit": is_manager and entry.state != EntryState.CLOSED,
        "accept": evidence.ACCEPT, "max_mb": evidence.MAX_BYTES // 1024 // 1024,
        "cadence": actions.cadence_months(entry),
    })


def _files(request: HttpRequest) -> list[Any]:
    return [f for f in request.FILES.getlist("files") if f.name]


@require_POST
@roles_required(*LEDGER_UNIT_ROLES)
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    entry = actions.get_entry(user, pk)
    try:
        r = actions.post_progress(user, entry, text=request.POST.get("text", ""), files=_files(request))
    except ValidationError as e:
        _errors(request, e)
    else:
        n = r.evidence.count()
        messages.success(request, f"已报送整改进展{f'，附佐证材料 {n} 份' if n else ''}")
    return redirect("rectification:detail", entry.pk)


@require_POST
@roles_required(*LEDGER_UNIT_ROLES)
def request_closure(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    entry = actions.get_entry(user, pk)
    ids = [i for i in (_int(v) for v in request.POST.getlist("evidence")) if i is not None]
    try:
        actions.request_closure(user, entry, note=request.POST.get("note", ""), files=_files(request),
                                evidence_ids=ids)
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, "已申请销号，等待组织部审核")
    return redirect("rectification:detail", entry.pk)


@require_POST
@roles_required(*LEDGER_MANAGERS)
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    entry = actions.get_entry(user, pk)
    try:
        if request.POST.get("decision") == "return":
            actions.return_closure(user, entry, reason=request.POST.get("reason", ""))
            messages.success(request, "已退回销号申请")
        else:
            actions.verify_closure(user, entry)
            messages.success(request, "审核通过，已销号")
    except ValidationError as e:
        _errors(request, e)
    return redirect("rectification:detail", entry.pk)


@require_POST
@roles_required(*LEDGER_MANAGERS)
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    entry = actions.get_entry(user, pk)
    try:
        actions.reopen(user, entry, reason=request.POST.get("reason", ""))
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, "已重新打开，条目恢复为整改中")
    return redirect("rectification:detail", entry.pk)


@roles_required(*VIEWERS)
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """An evidence file, streamed to people who may see its entry (never a public media URL)."""
    ev = actions.get_evidence(_user(request), pk)
    try:
        fh = ev.file.open("rb")
    except OSError:
        raise Http404("文件已不存在") from None
    resp = FileResponse(fh, as_attachment=True, filename=ev.name, content_type=ev.content_type)
    resp["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, resp)  # streamed: FileResponse is not an HttpResponse subclass


# ---------------------------------------------------------------- the organiser's form


class EntryForm(forms.Form):
    unit = forms.ModelChoiceField(Unit.objects.all(), label="单位", empty_label="请选择单位")
    problem = forms.CharField(label="问题", widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label="问题类别", choices=[("", "请选择类别"), *CATEGORIES])
    source = forms.ChoiceField(label="来源", choices=SOURCE_CHOICES)
    source_ref = forms.CharField(label="来源说明", required=False, max_length=300,
                                 help_text="如：2025年第二季度党建督查、点评第三条")
    measures = forms.CharField(label="整改措施", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    target = forms.CharField(label="整改目标", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    responsible = forms.ModelChoiceField(Person.objects.select_related("unit").order_by("unit__sort_order", "name"),
                                         label="责任人（本单位人员）", required=False, empty_label="（不在名册中，填写姓名）")
    responsible_name = forms.CharField(label="责任人姓名", required=False, max_length=100)
    deadline = forms.DateField(label="整改时限", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].label_from_instance = lambda p: f"{p.unit.name} · {p.name}"  # type: ignore[attr-defined]


def _entry_form(request: HttpRequest, entry: LedgerEntry | None) -> HttpResponse:
    user = _user(request)
    initial: dict[str, Any] = {}
    if entry is not None:
        initial = {k: getattr(entry, k) for k in actions.EDITABLE}
        initial["unit"] = entry.unit
    elif request.GET.get("unit"):
        initial["unit"] = _int(request.GET.get("unit"))
    form = EntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit = data.pop("unit")
        try:
            if entry is None:
                entry = actions.create_entry(user, unit=unit, **data)
                messages.success(request, "已新增整改台账条目")
            else:
                entry = actions.update_entry(user, entry, unit=unit, **data)
                messages.success(request, "已保存")
            return redirect("rectification:detail", entry.pk)
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
    return render(request, "rectification/form.html", {"form": form, "entry": entry})


@roles_required(*LEDGER_MANAGERS)
def new(request: HttpRequest) -> HttpResponse:
    return _entry_form(request, None)


@roles_required(*LEDGER_MANAGERS)
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = actions.get_entry(_user(request), pk)
    if entry.state == EntryState.CLOSED:
        messages.error(request, "该条目已销号，不能修改；如需修改请先重新打开")
        return redirect("rectification:detail", entry.pk)
    return _entry_form(request, entry)


# ---------------------------------------------------------------- from ballot comments


@roles_required(*LEDGER_MANAGERS)
def comments(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's 民主测评 意见建议 (published boxes only); one becomes an entry (source 民主测评意见)."""
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    units = [p.unit for p in campaign.participants.select_related("unit").order_by("unit__sort_order", "unit__code")]
    if request.method == "POST":
        unit = next((u for u in units if u.pk == _int(request.POST.get("unit"))), None)
        if unit is None:
            messages.error(request, "请选择述职单位")
        else:
            deadline = None
            if request.POST.get("deadline"):
                try:
                    deadline = datetime.date.fromisoformat(request.POST["deadline"])
                except ValueError:
                    messages.error(request, "整改时限格式不正确")
                    return redirect("rectification:comments", campaign.pk)
            try:
                entry = actions.entry_from_comment(
                    user, campaign, request.POST.get("comment"), unit=unit, category=request.POST.get("category", ""),
                    problem=request.POST.get("problem", ""), measures=request.POST.get("measures", ""),
                    deadline=deadline)
            except ValidationError as e:
                _errors(request, e)
            else:
                messages.success(request, f"已将意见建议转为{unit.name}的整改台账条目")
                return redirect("rectification:detail", entry.pk)
        return redirect("rectification:comments", campaign.pk)
    used = set(actions.visible_entries(user).filter(campaign=campaign, source=Source.BALLOT)
               .values_list("problem", flat=True))
    rows = [(c, c.text in used) for c in actions.ballot_comments(user, campaign)]
    box = getattr(campaign, "ballot_box", None) if hasattr(campaign, "ballot_box") else None
    return render(request, "rectification/comments.html", {
        "campaign": campaign, "rows": rows, "units": units, "categories": CATEGORIES, "box": box,
        "tab": "ledger", "can_see_lots": user.has_role(*access.WIDE_READERS),
    })
