"""统计分析 pages. Thin: who sees what and every number come from shuping.exports.analytics; the charts are drawn
by static/exports/analytics.js from a json_script block (CSP: no inline JS), each with its table."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shuping.accounts import access
from shuping.accounts.access import ANALYTICS_READERS, roles_required
from shuping.exports import analytics


def _charts_json(charts: list[analytics.Chart]) -> dict[str, Any]:
    return {"charts": [c.as_data() for c in charts]}


@roles_required(*ANALYTICS_READERS)
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    data = analytics.campaign_charts(request.user, pk)  # type: ignore[arg-type]
    return render(request, "exports/analytics/campaign.html", {
        "campaign": data.campaign, "a": data, "tab": "analytics", "chart_data": _charts_json(data.charts),
        "results": [c for c in data.charts if c.id in ("composite", "grades", "components")],
        "ballot": data.chart("good-rate"),
        "judges": [c for c in data.charts if c.id.startswith("judge-")],
    })


@login_required
def multi_year(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("unit", "").strip()
    unit_id = int(raw) if raw.isdigit() else None
    data = analytics.multi_year_charts(request.user, unit_id)  # type: ignore[arg-type]
    by_id = {c.id: c for c in data.charts}
    user: Any = request.user
    campaigns = ([] if not user.has_role(*ANALYTICS_READERS) else
                 list(access.visible_campaigns(user).filter(result_sheet__isnull=False).order_by("-year", "pk")))
    return render(request, "exports/analytics/multi_year.html", {
        "m": data, "campaigns": campaigns, "chart_data": _charts_json(data.charts), "history": by_id.get("history"),
        "heatmaps": [by_id["categories-years"], by_id["categories-units"]], "closure": by_id["closure"],
    })
