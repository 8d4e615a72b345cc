"""Downloads of 述职报告: one report as .docx, a campaign's reports as one bound PDF (汇编), and the page that
offers them.

Who: the .docx to report readers (REPORT_READERS) and to the report's own unit (its reporter); the 汇编 and
the export page to readers only (REPORT_READERS, REPORT_REVIEWERS). Others get 403; a report or campaign the
user may not see answers 404. Thin: the access helpers, then `exports`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from shuping.accounts import access
from shuping.accounts.access import REPORT_READERS, REPORT_REVIEWERS, REPORT_WRITERS, WIDE_READERS, roles_required
from shuping.core.downloads import attachment
from shuping.reports import actions, exports
from shuping.reports.models import ReportState

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BINDERS = (*REPORT_READERS, *REPORT_REVIEWERS)


def _download(data: bytes, content_type: str, name: str, ascii_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = attachment(name, ascii_name)
    response["Cache-Control"] = "no-store"
    return response


@roles_required(*REPORT_READERS, *REPORT_WRITERS)
def report_docx(request: HttpRequest, report_id: int) -> HttpResponse:
    report = actions.get_report(request.user, report_id)  # type: ignore[arg-type]
    return _download(exports.report_docx(report), DOCX_TYPE, exports.docx_name(report), f"report-{report.pk}.docx")


@roles_required(*BINDERS)
def bound_pdf(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = access.get_campaign(request.user, campaign_id)  # type: ignore[arg-type]
    include_all = request.GET.get("all") == "1"
    try:
        data = exports.bound_pdf(campaign, exports.bound_reports(campaign, include_all), include_all=include_all)
    except ValidationError as e:  # the Chinese font is missing
        for m in e.messages:
            messages.error(request, m)
        return redirect("reports:exports", campaign.pk)
    return _download(data, "application/pdf", exports.bound_name(campaign), f"reports-{campaign.year}.pdf")


@roles_required(*BINDERS)
def page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The campaign's reports with their downloads, and the 汇编 with or without unsubmitted reports."""
    user: Any = request.user
    campaign = access.get_campaign(user, campaign_id)
    reports = {r.participant_id: r for r in exports.bound_reports(campaign, include_all=True)}
    rows = [(p, reports.get(p.pk)) for p in campaign.participants.select_related("unit", "secretary")]
    bound = sum(1 for r in reports.values() if r.state in exports.BOUND_STATES)
    return render(request, "reports/exports/page.html", {
        "campaign": campaign, "tab": "reports", "rows": rows, "n_bound": bound, "n_reports": len(reports),
        "n_participants": len(rows), "can_see_lots": user.has_role(*WIDE_READERS),
        "bound_states": "、".join(str(ReportState(s).label) for s in exports.BOUND_STATES),
    })
