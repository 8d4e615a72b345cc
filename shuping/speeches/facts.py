"""Facts for the drafts, gathered from the database: a reporter's report, last year's ledger entries, the
published 民主测评 tally, the judges' sheets; for the closing speech the published results, the reports and the
campaign's ledger. Each fact carries the link to the page it came from.

Ballot comments (意见建议) are anonymous and written for the whole box, not for one reporter: they are not
attributed to units here (the 点评 draft says so); the organiser turns them into ledger entries on the ledger's
comments page, and from there they do count.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from shuping.ballots import counting
from shuping.ballots.models import BallotBox, BoxState
from shuping.campaigns.models import Campaign, Participant
from shuping.rectification.carry_over import open_entries_for
from shuping.rectification.models import EntryState, LedgerEntry
from shuping.reports.models import Report, ReportState
from shuping.results.models import ResultSheet, SheetState
from shuping.scoring.models import JudgeScore
from shuping.speeches import drafting
from shuping.speeches.drafting import (
    ClosingFacts,
    EntryFact,
    GoodRate,
    IndicatorFact,
    PhraseBook,
    ReporterFacts,
    Snippet,
    Source,
    UnitProblem,
)
from shuping.speeches.models import Phrase

GRADES = ("好", "较好", "一般", "差")
COMMENTS_NOTE = ("民主测评的意见建议是匿名的，且针对全体述职人，无法确定写的是哪个单位，未纳入本草稿；"
                 "需要时请在整改台账的“测评意见”页转为台账问题。")


def categorise(text: str) -> str | None:
    """The problem category of a sentence, by S1's reader (shuping.speeches.reading.categorise)."""
    try:
        from shuping.speeches.reading import categorise as read_category
    except ImportError:  # the reader module not there yet: its keyword tables directly
        try:
            from shuping.speeches.categorise import categorise as read_category
        except ImportError:
            return None
    return read_category(text)


def phrase_book() -> PhraseBook:
    rows = Phrase.objects.filter(active=True).order_by("slot", "category", "sort_order", "pk")
    return PhraseBook.of(list(rows.values_list("slot", "category", "text")))


def _report_source(report: Report, key: str, label: str) -> Source:
    state = "" if report.state != ReportState.DRAFT else "（草稿）"
    return Source(f"述职报告{state}·{label}", reverse("reports:report", args=[report.pk]) + f"#section-{key}")


def _entry_fact(e: LedgerEntry, today) -> EntryFact:  # type: ignore[no-untyped-def]
    closed = e.state == EntryState.CLOSED
    return EntryFact(
        problem=e.problem, category=e.category, state_label=e.get_state_display(), closed=closed,
        year=e.campaign.year if e.campaign is not None else None,
        deadline=e.deadline.isoformat() if e.deadline else "",
        overdue=not closed and e.deadline is not None and e.deadline < today,
        source=Source(f"整改台账 #{e.pk}", reverse("rectification:detail", args=[e.pk])))


def _previous_campaign(campaign: Campaign) -> Campaign | None:
    return (Campaign.objects.filter(committee_id=campaign.committee_id, year__lt=campaign.year)
            .order_by("-year").first())


def _good_rate(p: Participant) -> GoodRate | None:
    """好评率 from the published box of this campaign, else of the committee's previous campaign."""
    for campaign in (p.campaign, _previous_campaign(p.campaign)):
        if campaign is None:
            continue
        box = BallotBox.objects.filter(campaign=campaign, state=BoxState.PUBLISHED).select_related("campaign").first()
        if box is None:
            continue
        lines = counting.lines_of(box)
        index = next((i for i, ln in enumerate(lines) if ln.participant.unit_id == p.unit_id), None)
        if index is None:
            continue
        line = counting.tally_box(box, len(lines)).lines[index]
        if line.good_rate is None:
            continue
        rate = Decimal(line.good_rate.numerator) / Decimal(line.good_rate.denominator)
        return GoodRate(campaign.year, rate, line.counts.valid,
                        Source(f"{campaign.year}年度民主测评计票结果", reverse("ballots:results", args=[box.pk])))
    return None


def _indicators(p: Participant) -> list[IndicatorFact]:
    """Average points per indicator over the submitted judge sheets of the reporter."""
    scheme = p.campaign.scheme or {}
    indicators = scheme.get("judge_indicators", [])
    sheets = list(JudgeScore.objects.filter(participant=p, submitted_at__isnull=False).values_list("points", flat=True))
    if not sheets or not indicators:
        return []
    source = Source("现场评分进度", reverse("scoring:control", args=[p.campaign_id]))
    out = []
    for i, ind in enumerate(indicators):
        values = []
        for row in sheets:
            try:
                values.append(Decimal(str(row[i])))
            except (IndexError, InvalidOperation):
                continue
        try:
            max_points = Decimal(str(ind.get("max_points")))
        except InvalidOperation:
            continue
        if values and max_points > 0:
            out.append(IndicatorFact(str(ind.get("name")), sum(values, Decimal(0)) / len(values), max_points,
                                     len(values), source))
    return out


def reporter_facts(p: Participant, highlights: int = 3, own_problems: int = 3) -> ReporterFacts:
    f = ReporterFacts(p.pk, p.unit.name, p.secretary.name if p.secretary_id else p.unit.name)
    report = Report.objects.filter(participant=p).first()
    if report is not None:
        sections = report.sections or {}
        src = _report_source(report, "performance", "履职情况和成效")
        f.performance = [Snippet(s, src) for s in drafting.key_sentences(sections.get("performance", ""), highlights)]
        src = _report_source(report, "problems", "存在问题")
        f.own_problems = [Snippet(s, src, categorise(s))
                          for s in drafting.key_sentences(sections.get("problems", ""), own_problems, longest=90)]
    else:
        f.notes.append("该述职人尚未填写述职报告。")
    today = timezone.localdate()
    f.open_entries = [_entry_fact(e, today) for e in open_entries_for(p.unit_id, p.campaign)]
    previous = _previous_campaign(p.campaign)
    since = previous.created_at if previous else p.campaign.created_at - timedelta(days=366)
    closed = (LedgerEntry.objects.filter(unit_id=p.unit_id, state=EntryState.CLOSED, closed_at__gte=since)
              .exclude(campaign=p.campaign).select_related("campaign").order_by("closed_at", "pk"))
    f.closed_entries = [_entry_fact(e, today) for e in closed]
    f.good_rate = _good_rate(p)
    if f.good_rate is None:
        f.notes.append("本年度和上年度都没有已公布的民主测评结果，草稿不含好评率。")
    f.indicators = _indicators(p)
    f.notes.append(COMMENTS_NOTE)
    return f


# --- the closing speech ------------------------------------------------------------------------------

def _average(values: list[str]) -> Decimal | None:
    nums = []
    for v in values:
        try:
            nums.append(Decimal(v))
        except (InvalidOperation, TypeError):
            continue
    return sum(nums, Decimal(0)) / len(nums) if nums else None


def closing_facts(campaign: Campaign, highlights: int = 6) -> ClosingFacts:
    participants = list(campaign.participants.select_related("unit"))
    f = ClosingFacts(campaign.pk, campaign.title, campaign.year, len(participants))
    sheet = ResultSheet.objects.filter(campaign=campaign, state=SheetState.PUBLISHED).first()
    if sheet is not None:
        rows = list(sheet.rows.values_list("grade", "composite"))
        f.grade_counts = [(g, sum(1 for grade, _ in rows if grade == g)) for g in GRADES]
        f.average = _average([c for _, c in rows])
        f.results_source = Source(f"{campaign.year}年度考核结果（已公布）", reverse("results:campaign", args=[campaign.pk]))
    else:
        f.notes.append("考核结果尚未公布，提纲不含等次和得分；公布后重新生成即可。")
    reports = list(Report.objects.filter(participant__campaign=campaign).exclude(state=ReportState.DRAFT)
                   .select_related("participant__unit").order_by("participant__speaking_order", "participant__unit__code"))
    for r in reports:
        unit = r.participant.unit.name
        sections = r.sections or {}
        if len(f.highlights) < highlights:
            best = drafting.key_sentences(sections.get("performance", ""), 1)
            if best:
                f.highlights.append((unit, Snippet(best[0], _report_source(r, "performance", "履职情况和成效"))))
        src = _report_source(r, "problems", "存在问题")
        for s in drafting.sentences_of(sections.get("problems", "")):
            category = categorise(s)
            if category:
                f.problems.append(UnitProblem(unit, category, s, Source(f"{unit}{src.label}", src.url)))
    if not reports:
        f.notes.append("还没有已提交的述职报告。")
    entries = (LedgerEntry.objects.filter(Q(campaign=campaign)).select_related("unit").order_by("unit__sort_order", "pk"))
    for e in entries:
        f.problems.append(UnitProblem(e.unit.name, e.category, e.problem,
                                      Source(f"{e.unit.name} 整改台账 #{e.pk}", reverse("rectification:detail", args=[e.pk]))))
    return f
