"""整改台账 overview (per unit and category, table and chart), 晒账 (a unit's public summary, printable), and the
.xlsx template, export and import. Thin: access rules in shuping.rectification.actions / accounts.access,
workbook in ledger_xlsx, counts in overview.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from shuping.accounts import access
from shuping.accounts.access import LEDGER_MANAGERS, LEDGER_READERS, LEDGER_UNIT_ROLES, roles_required
from shuping.core.downloads import attachment
from shuping.orgs.models import Unit
from shuping.rectification import actions, ledger_xlsx, overview
from shuping.rectification.categories import LABELS
from shuping.rectification.ledger_rules import MAX_BYTES, MAX_SHOWN, LedgerRejected
from shuping.rectification.models import EntryState, LedgerEntry

VIEWERS = LEDGER_READERS + LEDGER_UNIT_ROLES


def _int(v: Any) -> int | None:
    s = str(v or "").strip()
    return int(s) if s.isdigit() else None


def _filters(g: Any) -> actions.Filters:
    """The ledger list's filters (same query parameters as shuping.rectification.views.ledger)."""
    return actions.Filters(unit=_int(g.get("unit")), category=g.get("category", ""), source=g.get("source", ""),
                           state=g.get("state", ""), overdue=g.get("overdue", ""), year=_int(g.get("year")),
                           campaign=_int(g.get("campaign")), q=g.get("q", "")[:100])


def _xlsx(data: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(data, content_type=ledger_xlsx.XLSX_TYPE)
    # RFC 5987 so browsers keep the Chinese file name; the ASCII fallback for old clients.
    resp["Content-Disposition"] = attachment(name, "ledger.xlsx")
    return resp


# ---------------------------------------------------------------- overview

@roles_required(*LEDGER_READERS)
def overview_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    today = timezone.localdate()
    campaign_id, year = _int(request.GET.get("campaign")), _int(request.GET.get("year"))
    ov = overview.build(ledger_xlsx.entries_for(user, actions.Filters(campaign=campaign_id, year=year)), today)
    campaigns = list(access.visible_campaigns(user).select_related("committee").order_by("-year", "committee__code"))
    years = sorted({c.year for c in campaigns} | {y for y in actions.visible_entries(user)
                                                  .values_list("campaign__year", flat=True) if y}, reverse=True)
    query = request.GET.urlencode()
    return render(request, "rectification/overview/overview.html", {
        "ov": ov, "statuses": overview.STATUSES, "chart": ov.chart_data(), "campaigns": campaigns, "years": years,
        "campaign_id": campaign_id, "year": year, "query": query,
        "can_import": user.has_role(*LEDGER_MANAGERS),
    })


# ---------------------------------------------------------------- 晒账

@roles_required(*VIEWERS)
def public(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A unit's entries with no personal data: problem, category, measures, deadline, state, closed date."""
    user: Any = request.user
    if not actions.can_read_all(user) and user.unit_id != unit_id:
        raise Http404("单位不存在或无权查看")
    try:
        unit = Unit.objects.get(pk=unit_id)
    except Unit.DoesNotExist:
        raise Http404("单位不存在或无权查看") from None
    today = timezone.localdate()
    year = _int(request.GET.get("year"))
    entries = LedgerEntry.objects.filter(unit=unit).select_related("campaign").order_by("created_at", "pk")
    years = sorted({y for y in entries.values_list("campaign__year", flat=True) if y}, reverse=True)
    if year:
        entries = entries.filter(campaign__year=year)
    items = []
    for e in entries:
        status = overview.status_of(e.state, e.deadline, e.closed_at, today)
        closed = e.state == EntryState.CLOSED and e.closed_at is not None
        items.append({
            "year": e.campaign.year if e.campaign else None, "problem": e.problem,
            "category": LABELS.get(e.category, e.category), "measures": e.measures, "deadline": e.deadline,
            "state": EntryState(e.state).label, "status": status, "status_label": overview.STATUS_LABELS[status],
            "closed_on": timezone.localdate(e.closed_at) if closed and e.closed_at else None,
        })
    counts = overview.build(entries.select_related("unit"), today).total
    return render(request, "rectification/overview/public.html", {
        "unit": unit, "items": items, "counts": counts, "today": today, "year": year, "years": years,
    })


# ---------------------------------------------------------------- .xlsx

@roles_required(*VIEWERS)
def export(request: HttpRequest) -> HttpResponse:
    """The ledger's three lists as .xlsx, with the list's filters; a unit's people get their own unit only."""
    user: Any = request.user
    return _xlsx(ledger_xlsx.export_bytes(ledger_xlsx.entries_for(user, _filters(request.GET))),
                 ledger_xlsx.export_name())


@roles_required(*LEDGER_MANAGERS)
def template(request: HttpRequest) -> HttpResponse:
    return _xlsx(ledger_xlsx.template_bytes(), "整改台账导入模板.xlsx")


class LedgerUploadForm(forms.Form):
    file = forms.FileField(label="整改台账文件（.xlsx）")

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        limit = min(MAX_BYTES, settings.MAX_UPLOAD_BYTES)
        if f.size > limit:
            raise forms.ValidationError(f"文件过大（{f.size / 1024 / 1024:.1f} MB），上限 {limit // 1024 // 1024} MB")
        return f


@roles_required(*LEDGER_MANAGERS)
def import_page(request: HttpRequest) -> HttpResponse:
    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    ctx: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            f = form.cleaned_data["file"]
            try:
                ctx["result"] = ledger_xlsx.import_ledger(request.user, f.read(), f.name)  # type: ignore[arg-type]
            except LedgerRejected as e:
                ctx.update(rejected=e, shown=e.messages[:MAX_SHOWN], total=len(e.messages))
                status = 422
            ctx["form"] = LedgerUploadForm()
        else:
            status = 422
    return render(request, "rectification/overview/import.html", ctx, status=status)

