"""统计分析: the data behind the analytics charts, one `Chart` per chart, with the table that shows the same numbers.

Two parts:
- builders (pure: plain values in, a Chart out — tested against hand-computed figures): composite score
  histogram, grade bands, component contributions per reporter, 好评率 by voter group, judges' spread; a unit's
  composite across years, problem categories by year and by unit (heatmaps) with the recurring ones, ledger
  closure on time per unit;
- loaders (read the database for a user, deciding what they may see): `campaign_charts` and `multi_year_charts`,
  called by the pages (views_analytics) and the JSON API (api_analytics) alike.

Who sees what (decided here, tested in test_analytics_views):
- campaign charts: ANALYTICS_READERS (organiser, observer, chair); the judges' spread names judges, so only the
  organiser and the observer see it (the calibration view). Unit-bound users (reporter, owner) get 403: every
  campaign chart shows other units (a distribution of one is not a chart).
- multi-year charts: ANALYTICS_READERS see every unit; a reporter or owner sees their own unit's series only
  (asking for another unit is a 404); an owner has no result history (they read the ledger, not results).
  Only published result sheets count across years.

Numbers are exact until shown: Fraction/Decimal in, 2-place half-up strings out (maths.num), the same strings in
the chart data and the table. Counts are ints.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils import timezone

from shuping.accounts import access
from shuping.accounts.access import ANALYTICS_READERS
from shuping.accounts.models import Role, User
from shuping.ballots import counting
from shuping.ballots.models import BallotBox, BoxState
from shuping.ballots.tally import Tally, half_up
from shuping.campaigns.models import Campaign
from shuping.campaigns.scheme import COMPONENTS
from shuping.orgs.models import Unit
from shuping.rectification import actions as ledger_actions
from shuping.rectification.categories import CATEGORIES
from shuping.rectification.overview import LATE, ON_TIME, OVERDUE, status_of
from shuping.results import maths
from shuping.results.models import ResultRow, ResultSheet, SheetState

GRADES = maths.GRADES
BIN_WIDTH = 5
# The calibration view names judges: organisers and observers (纪委) only, not the chair.
JUDGE_SPREAD_READERS = (Role.ORGANISER, Role.OBSERVER)
UNIT_ROLES = (Role.REPORTER, Role.OWNER)


@dataclass
class Chart:
    """One chart and its table. `kind` tells analytics.js how to draw it (bar, stacked, line, heatmap, range,
    deviation); `labels` is the category axis; each series has a name and one value per label (str numbers,
    ints or None); `header`/`rows` are the table view, the same numbers as text."""

    id: str
    title: str
    kind: str
    labels: list[str]
    series: list[dict[str, Any]]
    header: list[str]
    rows: list[list[str]]
    unit: str = ""  # the value axis' unit: 人, 分, %, 条
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific (heatmap: y labels, max)

    @property
    def empty(self) -> bool:
        return not self.rows

    def as_data(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "kind": self.kind, "labels": self.labels,
                "series": self.series, "header": self.header, "rows": self.rows, "unit": self.unit,
                "note": self.note, **self.extra}


def two(value: Fraction | Decimal | None) -> str | None:
    """2-place half-up, or None."""
    if value is None:
        return None
    return str(half_up(Fraction(value)))


def signed(value: Fraction | None) -> str:
    if value is None:
        return "—"
    text = two(value)
    return f"+{text}" if value > 0 else str(text)


def dash(value: Any) -> str:
    return "—" if value is None else str(value)


def percent(part: int, whole: int) -> str | None:
    return None if not whole else two(Fraction(part * 100, whole))


# ---------------------------------------------------------------- campaign builders (pure)

def composite_histogram(composites: Sequence[str | None], width: int = BIN_WIDTH) -> Chart:
    """Reporters per `width`-point bin of the composite, from the lowest occupied bin up to 100. A bin holds its
    lower bound, not its upper one; the last bin (95–100) also holds 100."""
    values = [v for v in (maths.exact(c) for c in composites) if v is not None]
    last = (100 - 1) // width  # index of the bin that ends at 100
    counts: dict[int, int] = {}
    for v in values:
        i = min(max(int(v // width), 0), last)
        counts[i] = counts.get(i, 0) + 1
    first = min(counts) if counts else last
    labels = [f"{i * width}–{min((i + 1) * width, 100)}" for i in range(first, last + 1)]
    data = [counts.get(i, 0) for i in range(first, last + 1)]
    rows = [[label, str(n)] for label, n in zip(labels, data, strict=True)] if values else []
    no_score = len(composites) - len(values)
    note = f"区间含下限、不含上限（最后一个区间含 100 分）。共 {len(values)} 人"
    note += f"，另有 {no_score} 人无综合得分" if no_score else ""
    return Chart(id="composite", title="综合得分分布", kind="bar", labels=labels,
                 series=[{"name": "人数", "data": data}], header=["综合得分区间", "人数"], rows=rows, unit="人",
                 note=note + "。")


def grade_bands(grades: Sequence[str]) -> Chart:
    order = list(GRADES) + ([maths.UNGRADED] if maths.UNGRADED in grades else [])
    counts = [sum(1 for g in grades if g == band) for band in order]
    rows = [[band, str(n), dash(percent(n, len(grades))) + ("%" if grades else "")]
            for band, n in zip(order, counts, strict=True)] if grades else []
    return Chart(id="grades", title="等次分布", kind="bar", labels=order,
                 series=[{"name": "人数", "data": counts}], header=["等次", "人数", "占比"], rows=rows, unit="人",
                 extra={"colors": ["#1e7e34", "#245bdb", "#e08a00", "#b3261e", "#86909c"][:len(order)]})


def components_per_reporter(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> Chart:
    """Stacked bars: each component's weighted contribution (value × applied weight) to the composite, in rank
    order. `rows`: ResultSheet.outputs["rows"]; `names`: participant key → label."""
    labels = [names.get(r["key"], r["key"]) for r in rows]
    series = []
    for comp, label in COMPONENTS.items():
        series.append({"name": label, "data": [two(maths.exact(r["components"][comp]["contribution"]))
                                               for r in rows]})
    table = []
    for i, r in enumerate(rows):
        table.append([str(r["rank"]), labels[i], *(dash(s["data"][i]) for s in series),
                      dash(r.get("composite_display")), r["grade"]])
    return Chart(id="components", title="各述职对象得分构成（加权贡献）", kind="stacked", labels=labels, series=series,
                 header=["名次", "述职对象", *COMPONENTS.values(), "综合得分", "等次"], rows=table, unit="分",
                 note="每段为该项得分 × 实际权重（缺项时其余权重按比例折算），各段之和即综合得分（逐段四舍五入，合计可能差 0.01）。")


def good_rate_by_group(t: Tally, names: Sequence[str]) -> Chart:
    """好评率 ((好+较好)/有效票) per reporter and voter group, from a tally; groups under the scheme's
    min_group_size_shown are left out (counted in the scores, never shown on their own)."""
    shown = [g for g in t.groups if not g.hidden]
    series = []
    for g in shown:
        data = []
        for line in t.lines:
            rate = line.groups[g.index].counts.good_rate()
            data.append(None if rate is None else two(rate * 100))
        series.append({"name": g.name, "data": data})
    overall = [None if (r := line.good_rate) is None else two(r * 100) for line in t.lines]
    series.append({"name": "全体", "data": overall})
    rows = [[names[i], *(dash(s["data"][i]) for s in series)] for i in range(len(t.lines))]
    hidden = [g.name for g in t.groups if g.hidden]
    note = "好评率 =（好 + 较好）÷ 有效票（弃权不计入），单位 %。"
    if hidden:
        note += f"{'、'.join(hidden)}不足 {t.min_group_size_shown} 票，不单独显示（计入“全体”）。"
    return Chart(id="good-rate", title="民主测评好评率（按测评人员类别）", kind="bar", labels=list(names),
                 series=series, header=["述职对象", *(f"{s['name']}（%）" for s in series)], rows=rows, unit="%",
                 note=note, extra={"max": 100})


@dataclass
class JudgeSpread:
    judge: str
    name: str
    totals: list[Fraction]
    deviations: list[Fraction]  # judge's total − the panel mean of the same reporter

    @property
    def mean(self) -> Fraction:
        return sum(self.totals, Fraction(0)) / len(self.totals)

    @property
    def mean_deviation(self) -> Fraction:
        return sum(self.deviations, Fraction(0)) / len(self.deviations)


def judge_spreads(rows: Sequence[Mapping[str, Any]], judge_names: Mapping[str, str]) -> list[JudgeSpread]:
    """Per judge, over the reporters they scored: their totals and the deviation of each from that reporter's
    panel mean (the mean of every submitted total, dropped ones included). Highest mean deviation first."""
    out: dict[str, JudgeSpread] = {}
    for r in rows:
        entries = [(e["judge"], maths.exact(e["total"])) for e in r["judging"]["entries"]]
        if not entries:
            continue
        panel = sum((t for _, t in entries if t is not None), Fraction(0)) / len(entries)
        for judge, total in entries:
            assert total is not None
            s = out.setdefault(judge, JudgeSpread(judge, judge_names.get(judge) or f"评委 {judge}", [], []))
            s.totals.append(total)
            s.deviations.append(total - panel)
    return sorted(out.values(), key=lambda s: (-s.mean_deviation, s.name))


def judge_charts(spreads: Sequence[JudgeSpread]) -> list[Chart]:
    names = [s.name for s in spreads]
    low = [two(min(s.totals)) for s in spreads]
    high = [two(max(s.totals)) for s in spreads]
    mean = [two(s.mean) for s in spreads]
    dev = [two(s.mean_deviation) for s in spreads]
    table = [[s.name, str(len(s.totals)), str(mean[i]), str(low[i]), str(high[i]),
              str(two(max(s.totals) - min(s.totals))), signed(s.mean_deviation)] for i, s in enumerate(spreads)]
    header = ["评委", "评分人数", "平均总分", "最低", "最高", "极差", "与评委组平均分的平均偏差"]
    spread = Chart(id="judge-range", title="评委打分区间（最低—最高，点为平均）", kind="range", labels=names,
                   series=[{"name": "最低", "data": low}, {"name": "最高", "data": high},
                           {"name": "平均", "data": mean}], header=header, rows=table, unit="分")
    deviation = Chart(id="judge-deviation", title="评委打分松紧（与评委组平均分的平均偏差）", kind="deviation",
                      labels=names, series=[{"name": "平均偏差", "data": dev}], header=header, rows=table, unit="分",
                      note="对每位述职对象，先算全体评委（含去掉的最高、最低分）总分的平均，再看该评委比平均高（+）或低（−）"
                           "多少分，取该评委所评各人的平均。正数偏松，负数偏严。")
    return [spread, deviation]


# ---------------------------------------------------------------- multi-year builders (pure)

@dataclass(frozen=True)
class YearResult:
    year: int
    campaign: str
    composite: str  # exact Decimal string ("" when none)
    grade: str
    rank: int
    n: int


def unit_history(unit: str, results: Sequence[YearResult]) -> Chart:
    ordered = sorted(results, key=lambda r: r.year)
    labels = [f"{r.year}年" for r in ordered]
    data = [two(maths.exact(r.composite)) for r in ordered]
    rows = [[f"{r.year}", r.campaign, dash(data[i]), f"{r.rank}/{r.n}", r.grade] for i, r in enumerate(ordered)]
    return Chart(id="history", title=f"{unit}：历年综合得分与等次", kind="line", labels=labels,
                 series=[{"name": "综合得分", "data": data, "grades": [r.grade for r in ordered]}],
                 header=["年度", "考核方案", "综合得分", "名次/人数", "等次"], rows=rows, unit="分",
                 note="只统计已公布的考核结果。")


@dataclass(frozen=True)
class EntryFacts:
    """What the ledger charts need of one entry."""

    unit: str
    year: int
    category: str
    state: str = "open"
    deadline: datetime.date | None = None
    closed_at: datetime.datetime | None = None


def _heatmap(chart_id: str, title: str, columns: list[str], cells: Mapping[tuple[str, str], int],
             column_head: str) -> Chart:
    ylabels = [label for _, label in CATEGORIES]
    data, rows, peak = [], [], 0
    for y, (code, label) in enumerate(CATEGORIES):
        row = [label]
        for x, col in enumerate(columns):
            n = cells.get((code, col), 0)
            peak = max(peak, n)
            if n:
                data.append([x, y, n])
            row.append(str(n))
        row.append(str(sum(cells.get((code, c), 0) for c in columns)))
        rows.append(row)
    return Chart(id=chart_id, title=title, kind="heatmap", labels=columns, series=[{"name": "条目数", "data": data}],
                 header=["问题类别", *columns, "合计"], rows=rows if columns else [], unit="条",
                 extra={"ylabels": ylabels, "max": peak, "column_head": column_head})


def category_heatmaps(entries: Iterable[EntryFacts], units_order: Sequence[str] = ()) -> list[Chart]:
    """Ledger entries counted by category × year and category × unit."""
    by_year: dict[tuple[str, str], int] = {}
    by_unit: dict[tuple[str, str], int] = {}
    years: set[int] = set()
    units: list[str] = list(units_order)
    for e in entries:
        years.add(e.year)
        if e.unit not in units:
            units.append(e.unit)
        by_year[(e.category, str(e.year))] = by_year.get((e.category, str(e.year)), 0) + 1
        by_unit[(e.category, e.unit)] = by_unit.get((e.category, e.unit), 0) + 1
    used_units = [u for u in units if any(k[1] == u for k in by_unit)]
    return [
        _heatmap("categories-years", "问题类别 × 年度（整改台账条目数）", [str(y) for y in sorted(years)], by_year, "年度"),
        _heatmap("categories-units", "问题类别 × 单位（整改台账条目数）", used_units, by_unit, "单位"),
    ]


def recurring(entries: Iterable[EntryFacts]) -> list[tuple[str, str, list[int]]]:
    """(unit, category label, years) for each unit whose ledger has the same category in two or more years."""
    labels = dict(CATEGORIES)
    seen: dict[tuple[str, str], set[int]] = {}
    order: list[tuple[str, str]] = []
    for e in entries:
        key = (e.unit, e.category)
        if key not in seen:
            seen[key] = set()
            order.append(key)
        seen[key].add(e.year)
    out = [(u, labels.get(c, c), sorted(seen[(u, c)])) for u, c in order if len(seen[(u, c)]) > 1]
    return sorted(out, key=lambda x: -len(x[2]))  # stable: ties keep ledger order


def closure_on_time(entries: Iterable[EntryFacts], today: datetime.date, units_order: Sequence[str] = ()) -> Chart:
    """按期销号率 per unit: entries closed (verified) on or before their deadline ÷ entries already due (deadline
    before today). Entries without a deadline, or whose deadline is still ahead, are not due yet."""
    counts: dict[str, list[int]] = {u: [0, 0, 0, 0] for u in units_order}  # due, on time, late, overdue
    for e in entries:
        c = counts.setdefault(e.unit, [0, 0, 0, 0])
        if e.deadline is None or e.deadline >= today:
            continue
        c[0] += 1
        status = status_of(e.state, e.deadline, e.closed_at, today)  # due, so never OPEN
        c[{ON_TIME: 1, LATE: 2, OVERDUE: 3}[status]] += 1
    units = [u for u, c in counts.items() if c[0]]
    rates = [percent(counts[u][1], counts[u][0]) for u in units]
    rows = [[u, str(counts[u][0]), str(counts[u][1]), str(counts[u][2]), str(counts[u][3]), f"{rates[i]}%"]
            for i, u in enumerate(units)]
    return Chart(id="closure", title="整改按期销号率（按单位）", kind="bar", labels=units,
                 series=[{"name": "按期销号率", "data": rates}],
                 header=["单位", "已到期条目", "按期销号", "逾期销号", "逾期未完成", "按期销号率"], rows=rows, unit="%",
                 note=f"按期销号率 = 在整改时限内经核验销号的条目 ÷ 整改时限已过的条目（截至 {today:%Y年%m月%d日}；"
                      "未设时限或尚未到期的条目不计入；申请销号待核验的仍算未完成）。",
                 extra={"max": 100})


# ---------------------------------------------------------------- loaders

def _short(unit: Unit) -> str:
    return unit.short_name or unit.name


def may_see_judges(user: User) -> bool:
    return user.has_role(*JUDGE_SPREAD_READERS)


@dataclass
class CampaignAnalytics:
    campaign: Campaign
    sheet: ResultSheet | None
    box: BallotBox | None
    charts: list[Chart]  # in page order
    judges_shown: bool

    def chart(self, chart_id: str) -> Chart | None:
        return next((c for c in self.charts if c.id == chart_id), None)


def campaign_charts(user: User, campaign_id: int) -> CampaignAnalytics:
    """Every campaign chart the user may see (403 for unit-bound and other roles, 404 for a campaign they may not
    see). Results charts need a result sheet (any state: readers already read it on the results page); the
    好评率 chart needs the published tally."""
    access.check_roles(user, *ANALYTICS_READERS)
    campaign = access.get_campaign(user, campaign_id)
    sheet = ResultSheet.objects.filter(campaign=campaign).first()
    charts: list[Chart] = []
    judges_shown = may_see_judges(user)
    if sheet is not None and sheet.outputs.get("rows"):
        rows = sheet.outputs["rows"]
        details = sheet.inputs.get("details", {}).get("reporters", {})
        units = Unit.objects.in_bulk([d["unit_id"] for d in details.values() if "unit_id" in d])
        names = {k: (_short(units[d["unit_id"]]) if d.get("unit_id") in units else d.get("unit", k))
                 for k, d in details.items()}
        charts.append(composite_histogram([r["composite"] for r in rows]))
        charts.append(grade_bands([r["grade"] for r in rows]))
        charts.append(components_per_reporter(rows, names))
    box = BallotBox.objects.filter(campaign=campaign).first()
    if box is not None and box.state == BoxState.PUBLISHED:
        lines = counting.lines_of(box)
        t = counting.tally_box(box, len(lines))
        charts.append(good_rate_by_group(t, [_short(ln.participant.unit) for ln in lines]))
    if judges_shown and sheet is not None and sheet.outputs.get("rows"):
        spreads = judge_spreads(sheet.outputs["rows"], sheet.inputs.get("details", {}).get("judges", {}))
        if spreads:
            charts += judge_charts(spreads)
    return CampaignAnalytics(campaign=campaign, sheet=sheet, box=box, charts=charts, judges_shown=judges_shown)


@dataclass
class MultiYear:
    units: list[Unit]  # the units the user may choose from
    unit: Unit | None  # the chosen one (history chart)
    charts: list[Chart]
    recurring: list[tuple[str, str, list[int]]]
    unit_bound: bool
    today: datetime.date


def multi_year_scope(user: User) -> bool:
    """True when the user sees only their own unit; PermissionDenied when they see nothing here."""
    if user.has_role(*ANALYTICS_READERS):
        return False
    if user.has_role(*UNIT_ROLES) and user.unit_id:
        return True
    raise PermissionDenied("您没有查看统计分析的权限")


def entry_year(entry: Any) -> int:
    """The year of the campaign an entry was raised in; for entries without one, the year it was entered."""
    return entry.campaign.year if entry.campaign is not None else timezone.localdate(entry.created_at).year


def multi_year_charts(user: User, unit_id: int | None = None, today: datetime.date | None = None) -> MultiYear:
    unit_bound = multi_year_scope(user)
    today = today or timezone.localdate()
    unit: Unit | None
    if unit_bound:
        units = list(access.visible_units(user))
        unit = access.get_unit(user, unit_id) if unit_id is not None else units[0]
    else:
        ids = set(ResultRow.objects.filter(sheet__state=SheetState.PUBLISHED)
                  .values_list("participant__unit_id", flat=True))
        units = list(Unit.objects.filter(pk__in=ids).order_by("sort_order", "code"))
        unit = access.get_unit(user, unit_id) if unit_id is not None else (units[0] if units else None)

    charts: list[Chart] = []
    may_see_results = user.has_role(*ANALYTICS_READERS) or user.has_role(Role.REPORTER)
    if unit is not None and may_see_results:
        rows = list(ResultRow.objects.filter(sheet__state=SheetState.PUBLISHED, participant__unit=unit)
                    .select_related("sheet__campaign"))
        sizes = dict(ResultRow.objects.filter(sheet_id__in=[r.sheet_id for r in rows]).values("sheet_id")
                     .annotate(n=Count("id")).values_list("sheet_id", "n").order_by())
        results = []
        for row in rows:
            n = sizes[row.sheet_id]
            results.append(YearResult(year=row.sheet.campaign.year, campaign=row.sheet.campaign.title,
                                      composite=row.composite, grade=row.grade, rank=row.rank, n=n))
        charts.append(unit_history(_short(unit), results))

    entries = ledger_actions.visible_entries(user).order_by("unit__sort_order", "unit__code", "pk")
    facts = [EntryFacts(unit=_short(e.unit), year=entry_year(e), category=e.category, state=e.state,
                        deadline=e.deadline, closed_at=e.closed_at) for e in entries]
    charts += category_heatmaps(facts)
    charts.append(closure_on_time(facts, today))
    return MultiYear(units=units, unit=unit, charts=charts, recurring=recurring(facts), unit_bound=unit_bound,
                     today=today)
