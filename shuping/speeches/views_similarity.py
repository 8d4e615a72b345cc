"""材料雷同 pages (SIMILARITY_READERS: organiser, observer): a campaign's ranked suspicious pairs with a threshold
and kind filter, and one pair's two reports side by side with the shared passages highlighted in both.

Thin: shuping/speeches/checks.py authorises, reads and caches; similarity.py finds the passages.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shuping.accounts.access import SIMILARITY_READERS, roles_required
from shuping.reports.models import ReportState
from shuping.speeches import checks, similarity

DEFAULT_MIN_PERCENT = Decimal(10)
THRESHOLDS = (1, 5, 10, 20, 30, 50)
MAX_ROWS = 500


def _percent(value: str | None, default: Decimal) -> Decimal:
    try:
        p = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, TypeError, ValueError):
        return default
    return min(max(p, Decimal(0)), Decimal(100)) if p.is_finite() else default


def _level(score: Decimal) -> str:
    return " high" if score >= Decimal("0.3") else " mid" if score >= Decimal("0.1") else ""


@roles_required(*SIMILARITY_READERS)
def campaign_pairs(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, check = checks.campaign_check(request.user, pk)  # type: ignore[arg-type]
    min_percent = _percent(request.GET.get("min"), DEFAULT_MIN_PERCENT)
    kind = request.GET.get("kind", "")
    kind = kind if kind in similarity.KIND_LABELS else ""
    pairs = checks.filter_pairs(check, min_percent / 100, kind)
    rows = [{"pair": p, "a": check.reports[cast(int, p.a)], "b": check.reports[cast(int, p.b)], "score": similarity.percent(p.score),
             "cover_a": similarity.percent(p.cover_a), "cover_b": similarity.percent(p.cover_b),
             "level": _level(p.score)} for p in pairs[:MAX_ROWS]]
    ctx: dict[str, Any] = {
        "campaign": campaign, "tab": "similarity", "check": check, "rows": rows,
        "n_pairs": len(pairs), "truncated": len(pairs) > MAX_ROWS, "min_percent": min_percent.normalize(),
        "kind": kind, "kinds": list(similarity.KIND_LABELS.items()), "thresholds": THRESHOLDS,
        "min_chars": similarity.SHINGLE,
        "boilerplate_percent": int(similarity.BOILERPLATE_SHARE * 100),
    }
    return render(request, "speeches/similarity/campaign.html", ctx)


@roles_required(*SIMILARITY_READERS)
def pair(request: HttpRequest, pk: int, a: int, b: int) -> HttpResponse:
    campaign, check, found, side_a, side_b = checks.pair_detail(request.user, pk, a, b)  # type: ignore[arg-type]
    passages = []
    if found is not None:
        for i, p in enumerate(found.passages, 1):
            passages.append({"n": i, "length": p.length, "text": side_a.report.text[p.a_start:p.a_end]})
    sides = [{"report": s.report, "sections": s.sections, "cover_text": similarity.percent(s.cover),
              "state_label": ReportState(s.report.state).label} for s in (side_a, side_b)]
    ctx = {"campaign": campaign, "tab": "similarity", "check": check, "pair": found, "a": side_a, "b": side_b,
           "sides": sides, "passages": passages, "score": similarity.percent(found.score) if found else "",
           "level": _level(found.score) if found else ""}
    return render(request, "speeches/similarity/pair.html", ctx)
