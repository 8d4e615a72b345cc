"""统计分析 data (shuping.exports.analytics) against hand-computed figures.

Campaign charts use the `scored` campaign of shuping/results/tests/conftest.py (its docstring has the numbers),
published through the real actions; ledger charts use entries with fixed dates.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shuping.ballots import counting
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.exports import analytics
from shuping.exports.analytics import EntryFacts, YearResult
from shuping.rectification.models import EntryState, LedgerEntry, Source
from shuping.results import actions
from shuping.results.models import ResultSheet
from shuping.results.tests import conftest as results_fixtures

judges = results_fixtures.judges
scored = results_fixtures.scored

TZ = ZoneInfo("Asia/Shanghai")


def publish(users: Any, scored: Any) -> ResultSheet:
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    actions.sign_results(users.chair, sheet, "区委常委会 2026 年第 3 次会议")
    return actions.publish_results(users.organiser, sheet)


def table(chart: analytics.Chart) -> list[list[str]]:
    return chart.rows


# ---------------------------------------------------------------- pure builders

def test_histogram_bins_hold_their_lower_bound_and_the_last_holds_100():
    c = analytics.composite_histogram(["85", "84.995", "100", "95", "70.5", None])
    assert c.labels == ["70–75", "75–80", "80–85", "85–90", "90–95", "95–100"]
    assert c.series[0]["data"] == [1, 0, 1, 1, 0, 2]
    assert "另有 1 人无综合得分" in c.note
    assert analytics.composite_histogram([]).empty


def test_grade_bands_count_every_band_in_order():
    c = analytics.grade_bands(["较好", "差", "较好", "好"])
    assert c.labels == ["好", "较好", "一般", "差"]
    assert c.series[0]["data"] == [1, 2, 0, 1]
    assert c.rows[1] == ["较好", "2", "50.00%"]
    assert analytics.grade_bands(["好", "未评定"]).labels[-1] == "未评定"


def test_closure_on_time_counts_only_due_entries():
    today = datetime.date(2025, 7, 1)
    d = datetime.date(2025, 6, 30)
    facts = [
        EntryFacts("东城", 2024, "style", EntryState.CLOSED, d, datetime.datetime(2025, 6, 30, 23, 0, tzinfo=TZ)),
        EntryFacts("东城", 2024, "style", EntryState.CLOSED, d, datetime.datetime(2025, 7, 1, 8, 0, tzinfo=TZ)),
        EntryFacts("东城", 2024, "members", EntryState.REQUESTED, d),  # not verified: not closed
        EntryFacts("东城", 2024, "members", EntryState.OPEN, datetime.date(2025, 7, 1)),  # due today: not yet
        EntryFacts("东城", 2024, "members", EntryState.CLOSED, None, datetime.datetime(2025, 1, 1, tzinfo=TZ)),
        EntryFacts("西城", 2024, "members", EntryState.OPEN, None),
    ]
    c = analytics.closure_on_time(facts, today)
    assert c.labels == ["东城"]  # 西城 has nothing due
    assert c.rows == [["东城", "3", "1", "1", "1", "33.33%"]]
    assert c.series[0]["data"] == ["33.33"]


def test_category_heatmaps_and_recurring_problems():
    facts = [EntryFacts("东城", 2023, "style"), EntryFacts("东城", 2024, "style"), EntryFacts("东城", 2024, "style"),
             EntryFacts("西城", 2024, "style"), EntryFacts("西城", 2024, "members"),
             EntryFacts("西城", 2025, "members"), EntryFacts("西城", 2023, "members")]
    years, units = analytics.category_heatmaps(facts)
    assert years.labels == ["2023", "2024", "2025"] and units.labels == ["东城", "西城"]
    style_y = analytics.CATEGORIES.index(("style", "作风建设"))
    members_y = analytics.CATEGORIES.index(("members", "党员教育管理"))
    assert sorted(years.series[0]["data"]) == sorted([[0, style_y, 1], [1, style_y, 3], [0, members_y, 1],
                                                      [1, members_y, 1], [2, members_y, 1]])
    assert years.rows[style_y] == ["作风建设", "1", "3", "0", "4"]
    assert units.rows[members_y] == ["党员教育管理", "0", "3", "3"]
    assert years.extra["max"] == 3 and len(years.rows) == 10
    assert analytics.recurring(facts) == [("西城", "党员教育管理", [2023, 2024, 2025]), ("东城", "作风建设", [2023, 2024])]


def test_unit_history_in_year_order():
    c = analytics.unit_history("东城", [YearResult(2025, "2025年度", "96.8888888888888888888888889", "较好", 1, 3),
                                       YearResult(2024, "2024年度", "88.125", "较好", 2, 3)])
    assert c.labels == ["2024年", "2025年"]
    assert c.series[0]["data"] == ["88.13", "96.89"] and c.series[0]["grades"] == ["较好", "较好"]
    assert c.rows[1] == ["2025", "2025年度", "96.89", "1/3", "较好"]


# ---------------------------------------------------------------- the scored campaign, published

@pytest.fixture
def published(users, scored) -> ResultSheet:
    return publish(users, scored)


def test_campaign_result_charts(users, scored, published):
    a = analytics.campaign_charts(users.organiser, scored.campaign.pk)
    hist = a.chart("composite")
    assert hist is not None
    # east 96.89, west 82.11, edu 48.86
    assert hist.labels[0] == "45–50" and hist.labels[-1] == "95–100" and len(hist.labels) == 11
    counts = dict(zip(hist.labels, hist.series[0]["data"], strict=True))
    assert counts == {**dict.fromkeys(hist.labels, 0), "45–50": 1, "80–85": 1, "95–100": 1}
    grades = a.chart("grades")
    assert grades is not None and grades.series[0]["data"] == [0, 2, 0, 1]  # east quota-demoted, edu veto
    comp = a.chart("components")
    assert comp is not None
    assert [s["name"] for s in comp.series] == ["现场/书面评分", "民主测评", "日常考核", "整改成效"]
    # east: 94×30/90, 100×40/90, 95×20/90; edu: 74×30/70, 30×40/70, no routine
    assert comp.rows[0] == ["1", "东城街道党工委", "31.33", "44.44", "21.11", "—", "96.89", "较好"]
    assert comp.rows[2] == ["3", "区教育局党委", "31.71", "17.14", "—", "—", "48.86", "差"]
    assert comp.series[2]["data"] == ["21.11", "18.89", None]


def test_good_rate_by_group_from_the_published_tally(users, scored, published):
    a = analytics.campaign_charts(users.organiser, scored.campaign.pk)
    c = a.chart("good-rate")
    assert c is not None
    # group 0 (区委领导) and 1 (领导小组成员) cast 10 each; the others none, so they are hidden.
    names = [g["name"] for g in scored.campaign.scheme["voter_groups"]]
    assert [s["name"] for s in c.series] == [names[0], names[1], "全体"]
    assert "不足 5 票" in c.note and names[2] in c.note
    assert c.rows == [["东城街道党工委", "100.00", "100.00", "100.00"], ["西城街道党工委", "100.00", "100.00", "100.00"],
                      ["区教育局党委", "0.00", "0.00", "0.00"]]


def test_a_group_under_the_minimum_is_hidden(users, scored, published):
    box = counting.lines_of(scored.box)
    scheme = dict(scored.campaign.scheme, min_group_size_shown=11)
    t = counting.tally(scheme, len(box), [(0, "124")] * 10 + [(1, "333")] * 12)
    c = analytics.good_rate_by_group(t, ["东", "西", "教"])
    names = [g["name"] for g in scheme["voter_groups"]]
    assert [s["name"] for s in c.series] == [names[1], "全体"]
    assert c.rows[0] == ["东", "0.00", "45.45"]  # 10 好 of 22 valid


def test_judges_spread_is_hand_computed(users, scored, published):
    a = analytics.campaign_charts(users.organiser, scored.campaign.pk)
    dev = a.chart("judge-deviation")
    assert dev is not None
    # panel means: east 94, west 83, edu 74. judge5 (西城) is recused from west.
    # judge1 90/80/70 → −4, −3, −4; judge2 −2, −1, −2; judge3 0, +1, 0; judge4 +2, +3, +2; judge5 +4, +4
    assert dev.labels == ["评委5", "评委4", "评委3", "评委2", "评委1"]
    assert dev.series[0]["data"] == ["4.00", "2.33", "0.33", "-1.67", "-3.67"]
    assert dev.rows[0] == ["评委5", "2", "88.00", "78.00", "98.00", "20.00", "+4.00"]
    assert dev.rows[4] == ["评委1", "3", "80.00", "70.00", "90.00", "20.00", "-3.67"]
    spreads = analytics.judge_spreads(published.outputs["rows"], {})
    assert spreads[-1].mean_deviation == Fraction(-11, 3)


def test_the_chair_sees_no_judge_names(users, scored, published):
    a = analytics.campaign_charts(users.chair, scored.campaign.pk)
    assert not a.judges_shown and a.chart("judge-deviation") is None and a.chart("judge-range") is None
    assert a.chart("components") is not None


def test_before_publication_the_ballot_chart_is_absent(users, scored):
    actions.compute_results(users.organiser, scored.campaign)
    a = analytics.campaign_charts(users.organiser, scored.campaign.pk)
    assert a.chart("components") is not None and a.chart("good-rate") is None


# ---------------------------------------------------------------- multi-year from the database

@pytest.fixture
def ledger(users, district, scored, published) -> list[LedgerEntry]:
    """2024 and 2025 entries of east and west (a 2024 campaign exists only for its ledger)."""
    c2024 = Campaign.objects.create(year=2024, title="2024年度述职评议", committee=district.root,
                                    state=CampaignState.ANNOUNCED)
    Participant.objects.create(campaign=c2024, unit=district.east, secretary=district.east.secretary)

    def make(campaign, unit, category, deadline, state=EntryState.OPEN, closed=None):
        return LedgerEntry.objects.create(campaign=campaign, unit=unit, problem="问题", category=category,
                                          source=Source.INSPECTION, deadline=deadline, state=state, closed_at=closed)
    d = datetime.date(2025, 3, 31)
    return [
        make(c2024, district.east, "style", d, EntryState.CLOSED, datetime.datetime(2025, 3, 1, tzinfo=TZ)),
        make(c2024, district.east, "members", d),
        make(scored.campaign, district.east, "style", datetime.date(2099, 1, 1)),
        make(scored.campaign, district.west, "style", d, EntryState.CLOSED, datetime.datetime(2025, 4, 2, tzinfo=TZ)),
    ]


def test_multi_year_for_a_reader(users, district, scored, published, ledger):
    m = analytics.multi_year_charts(users.observer, district.east.pk, today=datetime.date(2025, 7, 1))
    charts = {c.id: c for c in m.charts}
    assert charts["history"].rows == [["2025", "2025年度述职评议", "96.89", "1/3", "较好"]]
    assert charts["categories-years"].labels == ["2024", "2025"]
    assert charts["categories-units"].labels == ["东城街道党工委", "西城街道党工委"]
    assert m.recurring == [("东城街道党工委", "作风建设", [2024, 2025])]
    assert charts["closure"].rows == [["东城街道党工委", "2", "1", "0", "1", "50.00%"],
                                      ["西城街道党工委", "1", "0", "1", "0", "0.00%"]]
    assert [u.pk for u in m.units] == [district.east.pk, district.west.pk, district.edu.pk]


def test_multi_year_for_a_reporter_holds_only_their_unit(users, district, scored, published, ledger):
    m = analytics.multi_year_charts(users.reporter, today=datetime.date(2025, 7, 1))
    charts = {c.id: c for c in m.charts}
    assert m.unit_bound and m.unit == district.east and [u.pk for u in m.units] == [district.east.pk]
    assert charts["categories-units"].labels == ["东城街道党工委"]
    assert [r[0] for r in charts["closure"].rows] == ["东城街道党工委"]
    text = repr([c.as_data() for c in m.charts])
    assert "西城街道" not in text and "区教育局" not in text
    assert charts["history"].rows[0][2] == "96.89"


def test_an_owner_sees_the_ledger_of_their_unit_but_no_results(users, district, scored, published, ledger):
    m = analytics.multi_year_charts(users.owner, today=datetime.date(2025, 7, 1))
    ids = [c.id for c in m.charts]
    assert "history" not in ids and m.unit_bound
    assert "西城" not in repr([c.as_data() for c in m.charts])


def test_decimal_strings_round_half_up():
    assert analytics.two(Decimal("2.345")) == "2.35" and analytics.two(Fraction(-11, 3)) == "-3.67"
