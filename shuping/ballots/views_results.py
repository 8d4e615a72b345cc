"""Results of 民主测评 for staff: the reconciliation and the tally of a closed box, and the observer's export.

Thin: access helper, then shuping.ballots.counting. The tally is computed on every request (no cached
copy that could drift). While the box is still open nothing is counted or shown: a running tally
watched before and after one voter submits would reveal that voter's ballot.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shuping.accounts import access
from shuping.accounts.access import roles_required
from shuping.ballots import counting
from shuping.ballots.models import BallotBox
from shuping.ballots.tally import Tally

VIEWERS = counting.RESULT_READERS
EXPORTERS = counting.EXPORTERS


def _user(request: HttpRequest) -> Any:
    return request.user


def _line_rows(box: BallotBox, t: Tally) -> list[dict[str, Any]]:
    lines = counting.lines_of(box)
    rows = []
    for ln, lt in zip(lines, t.lines, strict=True):
        rows.append({
            "line": ln,
            "label": counting.line_label(ln),
            "t": lt,
            "grade_cells": list(zip(t.grade_labels, lt.counts.grades, strict=True)),
        })
    return rows


def _chart_data(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """好评率 per reporter for the chart, as strings of percentages (the JS only plots them)."""
    return {
        "names": [r["line"].participant.unit.name for r in rows],
        "rates": [None if r["t"].good_rate is None else r["t"].good_rate_display.rstrip("%") for r in rows],
        "labels": [r["t"].good_rate_display for r in rows],
        "vetoes": [r["t"].veto for r in rows],
    }


@roles_required(*VIEWERS)
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(request, "ballots/results/home.html", {"boxes": counting.boxes_for_results(user)})


@roles_required(*VIEWERS)
def results(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    context: dict[str, Any] = {"box": box, "countable": counting.countable(box),
                               "may_export": user.has_role(*EXPORTERS),
                               "may_manage": user.has_role(*access.CAMPAIGN_EDITORS)}
    if context["countable"]:
        n_lines = box.lines.count()
        t = counting.tally_box(box, n_lines)
        rows = _line_rows(box, t)
        context.update({
            "recon": counting.reconciliation(box, n_lines),
            "tally": t,
            "rows": rows,
            "chart": _chart_data(rows),
            "grade_points": [(label, p.normalize()) for label, p in zip(t.grade_labels, t.points, strict=True)],
            # every column of the tally table but the first: 述职人, grades + 弃权, 有效, 好评率, groups, 得分, 否决
            "detail_colspan": 1 + len(t.grade_labels) + 1 + 2 + len(t.groups) + 2,
        })
    return render(request, "ballots/results/results.html", context)


def _exportable_box(request: HttpRequest, box_id: int) -> BallotBox:
    box = access.get_ballot_box(_user(request), box_id)
    if not counting.countable(box):
        raise Http404("票箱尚未封箱，不能导出")
    return box


@roles_required(*EXPORTERS)
def export_xlsx(request: HttpRequest, box_id: int) -> HttpResponse:
    box = _exportable_box(request, box_id)
    export = counting.export_for(_user(request), box, "xlsx")
    response = HttpResponse(counting.export_xlsx(export),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="ballots-{box.pk}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


@roles_required(*EXPORTERS)
def export_csv(request: HttpRequest, box_id: int, part: str) -> HttpResponse:
    if part not in counting.EXPORT_PARTS:
        raise Http404("没有这一部分")
    box = _exportable_box(request, box_id)
    export = counting.export_for(_user(request), box, f"csv:{part}")
    response = HttpResponse(counting.export_csv(export, part), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ballots-{box.pk}-{part}.csv"'
    response["Cache-Control"] = "no-store"
    return response
