"""材料雷同 check of a campaign's reports: which reports, their texts, the cache, who may read it.

The reports checked are the campaign's submitted and approved reports (drafts and returned reports are still
being written); each is compared with the other units' reports of the campaign and with the same unit's
submitted or approved report in the committee's previous campaign (rectification.scoring.previous_campaign).
A report's text is its sections joined in the order of the report form, blank line between sections.

Cached in process memory, one result per campaign, under a fingerprint of the reports it was computed from
(id, state, revision of every report of both campaigns): a page view costs one small query while nothing
changed, and a saved, submitted or returned report changes the fingerprint, so a stale result is never
shown. 300 + 300 reports take a few seconds to compute (bench/similarity.py), too slow for every page view and
every pair page, but fast enough that nothing needs a background job or a table.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from shuping.accounts.access import SIMILARITY_READERS, check_roles, get_campaign
from shuping.accounts.models import User
from shuping.campaigns.models import Campaign
from shuping.rectification.scoring import previous_campaign
from shuping.reports.models import SECTIONS, UNCLASSIFIED, Report, ReportState
from shuping.speeches import similarity

CHECKED_STATES = (ReportState.SUBMITTED, ReportState.APPROVED)
FLOOR = Decimal("0.01")  # pairs below 1 % (a stock phrase or two) are not kept
SECTION_ORDER = [*SECTIONS, UNCLASSIFIED]
SEPARATOR = "\n\n"
_CACHE_SIZE = 8


@dataclass
class ReportInfo:
    id: int
    unit: str
    secretary: str
    year: int
    current: bool
    state: str
    text: str
    sections: list[tuple[str, int, int]]  # (label, start, end) in `text`


@dataclass
class CampaignCheck:
    campaign_id: int
    previous_id: int | None
    reports: dict[int, ReportInfo]
    pairs: list[similarity.Pair]  # a, b are report ids; a is this year's
    n_current: int
    n_previous: int
    boilerplate_shingles: int
    seconds: float
    computed_at: Any

    def pair(self, a: int, b: int) -> similarity.Pair | None:
        for p in self.pairs:
            if (p.a, p.b) in ((a, b), (b, a)):
                return p
        return None


def report_text(sections: dict[str, str]) -> tuple[str, list[tuple[str, int, int]]]:
    """The report's sections joined (non-empty ones, in form order) and where each one is in the text."""
    parts: list[str] = []
    spans: list[tuple[str, int, int]] = []
    pos = 0
    for key, label in SECTION_ORDER:
        body = (sections.get(key) or "").strip()
        if not body:
            continue
        if parts:
            pos += len(SEPARATOR)
        parts.append(body)
        spans.append((label, pos, pos + len(body)))
        pos += len(body)
    return SEPARATOR.join(parts), spans


def _reports(campaign: Campaign, previous: Campaign | None) -> Any:
    ids = [campaign.pk] + ([previous.pk] if previous is not None else [])
    return Report.objects.filter(participant__campaign_id__in=ids, state__in=CHECKED_STATES)


def _fingerprint(campaign: Campaign, previous: Campaign | None) -> tuple[Any, ...]:
    rows = _reports(campaign, previous).order_by("pk").values_list("pk", "state", "revision")
    return (previous.pk if previous else None, similarity.SHINGLE, similarity.BOILERPLATE_SHARE, *rows)


def compute(campaign: Campaign) -> CampaignCheck:
    """Read the reports and run the check (no cache, no access check: callers see to both)."""
    t0 = time.perf_counter()
    previous = previous_campaign(campaign)
    rows = (_reports(campaign, previous)
            .values_list("pk", "sections", "state", "participant__campaign_id", "participant__campaign__year",
                         "participant__unit_id", "participant__unit__name", "participant__secretary__name")
            .order_by("participant__unit__sort_order", "participant__unit__code", "-participant__campaign__year"))
    infos: dict[int, ReportInfo] = {}
    docs: list[similarity.Doc] = []
    for pk, sections, state, campaign_id, year, unit_id, unit, secretary in rows:
        text, spans = report_text(sections or {})
        current = campaign_id == campaign.pk
        infos[pk] = ReportInfo(pk, unit, secretary, year, current, state, text, spans)
        docs.append(similarity.Doc(pk, text, unit_id, current))
    result = similarity.compare(docs, min_score=FLOOR)
    n_current = sum(1 for d in docs if d.current)
    return CampaignCheck(campaign_id=campaign.pk, previous_id=previous.pk if previous else None, reports=infos,
                         pairs=result.pairs, n_current=n_current, n_previous=len(docs) - n_current,
                         boilerplate_shingles=result.boilerplate_shingles, seconds=time.perf_counter() - t0,
                         computed_at=timezone.now())


_cache: OrderedDict[int, tuple[tuple[Any, ...], CampaignCheck]] = OrderedDict()
_lock = threading.Lock()


def cached(campaign: Campaign) -> CampaignCheck:
    """The check of `campaign`, computed again only when its reports (or last year's) changed."""
    key = _fingerprint(campaign, previous_campaign(campaign))
    with _lock:
        hit = _cache.get(campaign.pk)
        if hit is not None and hit[0] == key:
            _cache.move_to_end(campaign.pk)
            return hit[1]
    check = compute(campaign)
    with _lock:
        _cache[campaign.pk] = (key, check)
        _cache.move_to_end(campaign.pk)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return check


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def campaign_check(user: User, campaign_id: int) -> tuple[Campaign, CampaignCheck]:
    """For the organiser's page and the API: SIMILARITY_READERS only (403), a campaign they may see (404)."""
    check_roles(user, *SIMILARITY_READERS)
    campaign = get_campaign(user, campaign_id)
    return campaign, cached(campaign)


def filter_pairs(check: CampaignCheck, min_score: Decimal = Decimal(0), kind: str = "") -> list[similarity.Pair]:
    if kind and kind not in similarity.KIND_LABELS:
        raise ValidationError("类型只能是 last_year（与本单位上年）或 other（与其他单位）")
    return [p for p in check.pairs if p.score >= min_score and (not kind or p.kind == kind)]


@dataclass
class Side:
    report: ReportInfo
    cover: Decimal
    sections: list[tuple[str, list[tuple[str, bool]]]]  # (section label, [(piece, shared)])


def pair_detail(user: User, campaign_id: int, a: int, b: int) -> tuple[Campaign, CampaignCheck, similarity.Pair | None,
                                                                         Side, Side]:
    """Both reports of a pair, cut into shared and unshared pieces per section; Http404 unless both are
    among the campaign's checked reports. The pair is None when they share nothing above the floor."""
    campaign, check = campaign_check(user, campaign_id)
    if a not in check.reports or b not in check.reports or a == b:
        raise Http404("报告不存在或不在本次雷同检查范围内")
    pair = check.pair(a, b)
    if pair is not None and pair.a != a:
        a, b = b, a
    ra, rb = check.reports[a], check.reports[b]
    spans_a = [(p.a_start, p.a_end) for p in pair.passages] if pair else []
    spans_b = [(p.b_start, p.b_end) for p in pair.passages] if pair else []
    return (campaign, check, pair,
            Side(ra, pair.cover_a if pair else Decimal(0), _cut(ra, spans_a)),
            Side(rb, pair.cover_b if pair else Decimal(0), _cut(rb, spans_b)))


def _cut(report: ReportInfo, spans: list[tuple[int, int]]) -> list[tuple[str, list[tuple[str, bool]]]]:
    out = []
    for label, start, end in report.sections:
        inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
        out.append((label, similarity.segments(report.text[start:end], inside)))
    return out
