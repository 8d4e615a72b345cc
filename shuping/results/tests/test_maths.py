"""The pure score maths of 考核结果, by hand-computed examples (domain.md "Default scoring scheme" is the oracle).

No database: shuping.results.maths imports no Django models. Each expected number is worked out in a comment
from the rules, not copied from the code's output.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from shuping.campaigns.scheme import default_scheme
from shuping.results import maths
from shuping.results.maths import ReporterInputs, as_data, compute, exact_text, judging, num, recompute, snapshot

F = Fraction


def judges(*totals: Any) -> tuple[tuple[str, Fraction], ...]:
    """Judge totals keyed j1, j2, … in the order given."""
    return tuple((f"j{i}", F(str(t))) for i, t in enumerate(totals, 1))


def scheme(**changes: Any) -> dict[str, Any]:
    s = default_scheme()
    s.update(changes)
    return s


def routine_only(**changes: Any) -> dict[str, Any]:
    """日常考核 weighs 100%: the composite is the 日常考核 score itself, without re-normalisation."""
    return scheme(component_weights={"judging": "0", "ballot": "0", "routine": "100", "rectification": "0"},
                  **changes)


def by_routine(*scores: Any, vetoed: tuple[str, ...] = ()) -> list[ReporterInputs]:
    """Reporters r01, r02, … with these 日常考核 scores (and the veto signal for the keys in `vetoed`)."""
    out = []
    for i, s in enumerate(scores, 1):
        key = f"r{i:02d}"
        out.append(ReporterInputs(key=key, routine=F(str(s)), veto=key in vetoed))
    return out


def grades(res: maths.Results) -> dict[str, str]:
    return {r.key: r.grade for r in res.rows}


# ---------------------------------------------------------------- 现场评分: trimmed mean

def test_five_judges_drop_one_highest_and_one_lowest():
    j = judging(judges(80, 85, 90, 95, 70), trim_k=1, trim_min_judges=5)
    # drop 95 (j4) and 70 (j5): (80 + 85 + 90) / 3 = 255 / 3 = 85
    assert j.k == 1
    assert j.score == 85
    assert {e.judge: e.dropped for e in j.entries} == {"j5": "low", "j1": "", "j2": "", "j3": "", "j4": "high"}
    assert j.formula() == "去掉最高、最低各 1 个分数后，(80.00 + 85.00 + 90.00) ÷ 3 = 85.00"


def test_four_judges_drop_nothing():
    j = judging(judges(70, 80, 90, 100), trim_k=1, trim_min_judges=5)
    # (70 + 80 + 90 + 100) / 4 = 340 / 4 = 85
    assert j.k == 0
    assert j.score == 85
    assert all(e.dropped == "" for e in j.entries)
    assert j.formula() == "4 位评委，不去掉最高、最低分，(70.00 + 80.00 + 90.00 + 100.00) ÷ 4 = 85.00"


def test_duplicate_extremes_drop_one_each():
    j = judging(judges(90, 70, 80, 90, 70), trim_k=1, trim_min_judges=5)
    # one 90 and one 70 go, one of each stays: (70 + 80 + 90) / 3 = 80
    assert j.score == 80
    dropped = {e.judge: e.dropped for e in j.entries if e.dropped}
    # ties are ordered by judge key: the low drop is the first 70 (j2), the high drop the last 90 (j4)
    assert dropped == {"j2": "low", "j4": "high"}
    assert sorted(e.total for e in j.kept) == [70, 80, 90]


def test_trim_two_with_seven_judges():
    j = judging(judges(60, 70, 75, 80, 85, 90, 100), trim_k=2, trim_min_judges=7)
    # drop 60, 70 and 90, 100: (75 + 80 + 85) / 3 = 80
    assert j.k == 2 and j.score == 80
    assert [e.dropped for e in j.entries] == ["low", "low", "", "", "", "high", "high"]
    # six judges are fewer than trim_min_judges = 7: nothing dropped, (60+70+75+80+85+90) / 6 = 460 / 6 = 230/3
    six = judging(judges(60, 70, 75, 80, 85, 90), trim_k=2, trim_min_judges=7)
    assert six.k == 0 and six.score == F(230, 3)
    assert num(six.score) == "76.67"


def test_no_judges_no_score():
    j = judging((), trim_k=1, trim_min_judges=5)
    assert j.score is None and j.entries == ()
    assert j.formula() == "没有评委提交评分，不计入"


def test_the_trimmed_mean_is_exact_and_two_place_judge_totals_stay_exact():
    j = judging(judges("88.5", "91.25", "79.75", "86", "93"), trim_k=1, trim_min_judges=5)
    # drop 93 and 79.75: (86 + 88.5 + 91.25) / 3 = 265.75 / 3 = 88.58333…
    assert j.score == F(26575, 300)
    assert num(j.score) == "88.58"


def test_the_row_marks_dropped_judges_in_its_data():
    r = ReporterInputs(key="a", judge_totals=judges(80, 85, 90, 95, 70), judges_expected=5)
    data = as_data(compute(default_scheme(), [r]))["rows"][0]["judging"]
    assert data["k"] == 1
    assert [(e["judge"], e["total"], e["dropped"]) for e in data["entries"]] == [
        ("j5", "70", "low"), ("j1", "80", ""), ("j2", "85", ""), ("j3", "90", ""), ("j4", "95", "high")]


# ---------------------------------------------------------------- composite

def test_composite_with_all_four_components():
    r = ReporterInputs(key="a", judge_totals=judges(85), ballot=F(90), routine=F(80), rectification=F(100))
    row = compute(default_scheme(), [r]).rows[0]
    # 85 × 30% + 90 × 40% + 80 × 20% + 100 × 10% = 25.5 + 36 + 16 + 10 = 87.5
    assert row.composite == F("87.5")
    assert row.flags == ()
    assert [c.contribution for c in row.components] == [F("25.5"), F(36), F(16), F(10)]
    assert row.composite_formula() == ("现场/书面评分 85.00 × 30% + 民主测评 90.00 × 40% + 日常考核 80.00 × 20% + "
                                       "整改成效 100.00 × 10% = 87.50")
    assert row.threshold_grade == row.grade == "较好"


def test_a_missing_component_renormalises_the_others_for_that_reporter_only():
    full = ReporterInputs(key="a", judge_totals=judges(85), ballot=F(90), routine=F(80), rectification=F(100))
    no_ledger = ReporterInputs(key="b", judge_totals=judges(85), ballot=F(90), routine=F(80))
    res = compute(default_scheme(), [full, no_ledger])
    b = res.row("b")
    # (85 × 30 + 90 × 40 + 80 × 20) / 90 = (2550 + 3600 + 1600) / 90 = 7750 / 90 = 775/9 = 86.111…
    assert b.composite == F(775, 9)
    assert num(b.composite) == "86.11"
    assert b.flags == ("renormalised",)
    # used weights: 30/90, 40/90, 20/90 of 100% = 33.33…%, 44.44…%, 22.22…%
    assert [c.used_weight for c in b.components] == [F(100, 3), F(400, 9), F(200, 9), None]
    assert b.dropped_components == ("整改成效",)
    assert b.composite_formula() == (
        "现场/书面评分 85.00 × 33.33% + 民主测评 90.00 × 44.44% + 日常考核 80.00 × 22.22% = 86.11"
        "（整改成效无数据，不计入；其余权重按 90% 折算为 100%）")
    assert res.row("a").flags == () and res.row("a").composite == F("87.5")


def test_no_component_at_all_ranks_last_ungraded():
    res = compute(default_scheme(), [
        ReporterInputs(key="a"),  # nothing at all
        ReporterInputs(key="b", routine=F(40)),  # 差 by score, still ranked above "no score"
    ])
    assert [r.key for r in res.rows] == ["b", "a"]
    a = res.row("a")
    assert a.composite is None and a.rank == 2
    assert a.grade == a.threshold_grade == "未评定"
    assert a.flags == ("no_score",)
    assert a.composite_formula() == "没有任何得分，无法计算综合得分"
    assert as_data(res)["rows"][1]["composite"] is None
    assert res.row("b").grade == "差"


def test_several_reporters_without_score_share_the_last_rank():
    res = compute(default_scheme(), [ReporterInputs(key="x"), ReporterInputs(key="y"),
                                     ReporterInputs(key="z", routine=F(75))])
    assert [(r.key, r.rank) for r in res.rows] == [("z", 1), ("x", 2), ("y", 2)]


def test_a_zero_weight_component_that_is_missing_does_not_flag_renormalisation():
    s = scheme(component_weights={"judging": "40", "ballot": "60", "routine": "0", "rectification": "0"})
    row = compute(s, [ReporterInputs(key="a", judge_totals=judges(80), ballot=F(90))]).rows[0]
    # 80 × 40% + 90 × 60% = 32 + 54 = 86
    assert row.composite == 86 and row.flags == ()


# ---------------------------------------------------------------- thresholds and display

@pytest.mark.parametrize(("score", "grade"), [
    (F(100), "好"),
    (F(90), "好"),
    (F(90) - F(1, 10**30), "较好"),  # 89.999…9 (30 nines) shows as 90.00 but is below the line
    (F("89.99"), "较好"),
    (F(80), "较好"),
    (F("79.99"), "一般"),
    (F(70), "一般"),
    (F("69.99"), "差"),
    (F(0), "差"),
])
def test_thresholds_at_the_exact_boundaries(score, grade):
    row = compute(routine_only(quota_good_percent="100"), [ReporterInputs(key="a", routine=score)]).rows[0]
    assert row.composite == score
    assert row.grade == row.threshold_grade == grade


def test_a_value_that_displays_as_the_line_is_still_compared_exactly():
    row = compute(routine_only(quota_good_percent="100"),
                  [ReporterInputs(key="a", routine=F(90) - F(1, 10**30))]).rows[0]
    assert num(row.composite) == "90.00"
    assert row.grade == "较好"
    assert row.notes == ("综合得分 90.00 ≥ 80.00，按分数线为“较好”",)


def test_non_terminating_values_are_compared_exactly():
    # 260/3 = 86.666…; its 28-digit Decimal 86.66666666666666666666666667 is larger, and ranks above it
    third = ReporterInputs(key="a", routine=F(260, 3))
    rounded = ReporterInputs(key="b", routine=F(Decimal("86.66666666666666666666666667")))
    res = compute(routine_only(), [third, rounded])
    assert [(r.key, r.rank) for r in res.rows] == [("b", 1), ("a", 2)]
    data = as_data(res)["rows"]
    assert data[1]["composite"] == "86.66666666666666666666666667"  # 28 significant digits
    assert data[1]["composite_display"] == "86.67"
    assert exact_text(F(260, 3)) == "260/3"


@pytest.mark.parametrize(("value", "shown"), [
    ("86.665", "86.67"),  # half-up, where half-even would give 86.66
    ("86.675", "86.68"),
    ("0.005", "0.01"),
    ("84.994999", "84.99"),
    ("89.995", "90.00"),
    ("100", "100.00"),
    ("0", "0.00"),
])
def test_display_rounds_half_up_to_two_places(value, shown):
    assert num(F(value)) == shown
    assert num(Decimal(value)) == shown


def test_display_rounds_from_the_exact_value_not_a_rounded_one():
    # 86.665 − 10⁻⁴⁰ is just below the half: rounding its 28-digit Decimal (86.665…) first would give 86.67
    assert num(F("86.665") - F(1, 10**40)) == "86.66"


# ---------------------------------------------------------------- ties

def four_for_ties() -> list[ReporterInputs]:
    return [
        # 90×30% + 85×40% + 80×20% + 100×10% = 27 + 34 + 16 + 10 = 87
        ReporterInputs(key="a", judge_totals=judges(90), ballot=F(85), routine=F(80), rectification=F(100)),
        # 70×30% + 100×40% + 80×20% + 100×10% = 21 + 40 + 16 + 10 = 87 — same composite, better 民主测评
        ReporterInputs(key="b", judge_totals=judges(70), ballot=F(100), routine=F(80), rectification=F(100)),
        # 90×30% + 80×40% + 70×20% + 100×10% = 27 + 32 + 14 + 10 = 83
        ReporterInputs(key="c", judge_totals=judges(90), ballot=F(80), routine=F(70), rectification=F(100)),
        # 80×30% + 80×40% + 85×20% + 100×10% = 24 + 32 + 17 + 10 = 83 — same composite and 民主测评,
        # lower 现场评分 than c
        ReporterInputs(key="d", judge_totals=judges(80), ballot=F(80), routine=F(85), rectification=F(100)),
    ]


def test_equal_composite_is_broken_by_ballot_then_judging():
    res = compute(default_scheme(), four_for_ties())
    assert [(r.key, r.composite, r.rank) for r in res.rows] == [
        ("b", 87, 1), ("a", 87, 2), ("c", 83, 3), ("d", 83, 4)]


def test_still_equal_shares_the_rank_1_2_2_4():
    same: dict[str, Any] = {"judge_totals": judges(80), "ballot": F(80), "routine": F(80), "rectification": F(80)}
    res = compute(default_scheme(), [
        ReporterInputs(key="q", **same), ReporterInputs(key="p", routine=F(95), ballot=F(95)),
        ReporterInputs(key="s", routine=F(60)), ReporterInputs(key="r", **same),
    ])
    # p: (95×40 + 95×20) / 60 = 95; q, r: 80; s: 60
    assert [(r.key, r.rank) for r in res.rows] == [("p", 1), ("q", 2), ("r", 2), ("s", 4)]


def test_the_scheme_chooses_the_tie_breaks():
    res = compute(scheme(tie_breaks=["judging", "ballot"]), four_for_ties())
    # a and b both 87: a has the better 现场评分 (90 > 70); c and d both 83: c has 90 > 80
    assert [(r.key, r.rank) for r in res.rows] == [("a", 1), ("b", 2), ("c", 3), ("d", 4)]
    no_breaks = compute(scheme(tie_breaks=[]), four_for_ties())
    assert [(r.key, r.rank) for r in no_breaks.rows] == [("a", 1), ("b", 1), ("c", 3), ("d", 3)]


# ---------------------------------------------------------------- 好 quota

def test_quota_30_percent_of_ten_keeps_three_good():
    res = compute(routine_only(), by_routine(99, 98, 97, 96, 95, 85, 80, 75, 70, 60))
    # 10 × 30% = 3 may be 好; r04 (96) and r05 (95) reach the line but come 4th and 5th
    assert res.quota == 3
    assert grades(res) == {"r01": "好", "r02": "好", "r03": "好", "r04": "较好", "r05": "较好", "r06": "较好",
                           "r07": "较好", "r08": "一般", "r09": "一般", "r10": "差"}
    r04 = res.row("r04")
    assert r04.threshold_grade == "好"
    assert r04.flags == ("quota_demoted",)
    assert "“好”等次比例上限为 3 人（10 人 × 30%，取整），排名在后，计为“较好”" in r04.notes
    assert res.row("r03").flags == () and res.row("r06").flags == ()


def tie_across_the_boundary() -> list[ReporterInputs]:
    # ranks 1, 2, 3, 3, 5: two slots taken by r01, r02; r03 and r04 tie for the third (last) slot
    return by_routine(99, 98, 97, 97, 95, 85, 80, 75, 70, 60)


def test_a_tie_across_the_quota_boundary_takes_the_lower_grade_and_is_flagged():
    res = compute(routine_only(), tie_across_the_boundary())
    assert [res.row(k).rank for k in ("r01", "r02", "r03", "r04", "r05")] == [1, 2, 3, 3, 5]
    g = grades(res)
    assert (g["r01"], g["r02"], g["r03"], g["r04"], g["r05"]) == ("好", "好", "较好", "较好", "较好")
    assert res.row("r03").flags == res.row("r04").flags == ("quota_tie",)
    assert res.row("r05").flags == ("quota_demoted",)
    assert "与其他 1 人并列第 3 名" in res.row("r03").notes[-1]


def test_the_committee_may_give_good_to_a_quota_tie_row():
    res = compute(routine_only(), tie_across_the_boundary(), overrides={"r03": "好", "r04": "好"})
    g = grades(res)
    assert [g[k] for k in ("r01", "r02", "r03", "r04", "r05")] == ["好", "好", "好", "好", "较好"]
    assert res.row("r03").flags == ("quota_tie", "committee_decision")
    assert res.row("r03").notes[-1] == "领导小组决定：好"
    # the committee may also confirm the lower grade
    res2 = compute(routine_only(), tie_across_the_boundary(), overrides={"r04": "较好"})
    assert res2.row("r04").grade == "较好" and "committee_decision" in res2.row("r04").flags


@pytest.mark.parametrize(("overrides", "message"), [
    ({"r05": "好"}, "只有并列跨越“好”等次比例"),  # demoted by quota, but not a tie: no decision to make
    ({"r01": "较好"}, "只有并列跨越“好”等次比例"),
    ({"r03": "一般"}, "只能是“好”或“较好”"),
    ({"nobody": "好"}, "不在结果中"),
])
def test_an_override_on_any_other_row_or_grade_is_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        compute(routine_only(), tie_across_the_boundary(), overrides=overrides)


def test_quota_zero_percent_gives_no_good():
    res = compute(routine_only(quota_good_percent="0"), by_routine(99, 95, 91, 85))
    assert res.quota == 0
    assert grades(res) == {"r01": "较好", "r02": "较好", "r03": "较好", "r04": "较好"}
    assert all(res.row(k).flags == ("quota_demoted",) for k in ("r01", "r02", "r03"))


def test_quota_zero_with_a_tie_at_the_top_is_no_quota_tie():
    # no slot at all, so the tie straddles nothing: plain demotion, nothing for the committee to decide
    res = compute(routine_only(quota_good_percent="0"), by_routine(95, 95))
    assert [r.flags for r in res.rows] == [("quota_demoted",), ("quota_demoted",)]


@pytest.mark.parametrize(("n", "percent", "quota"), [
    (7, "30", 2),  # 7 × 30% = 2.1 → 2
    (3, "30", 0),  # 0.9 → 0
    (4, "30", 1),  # 1.2 → 1
    (10, "30", 3),
    (9, "33.33", 2),  # 2.9997 → 2
    (3, "100", 3),
])
def test_quota_rounds_down(n, percent, quota):
    res = compute(routine_only(quota_good_percent=percent), by_routine(*[99 - i for i in range(n)]))
    assert res.quota == quota
    assert sum(1 for r in res.rows if r.grade == "好") == quota


def test_the_quota_counts_every_participant_even_those_below_the_line():
    # 4 participants × 30% = 1.2 → 1, even though only two reach 90
    res = compute(routine_only(), by_routine(95, 92, 50, 40))
    assert grades(res) == {"r01": "好", "r02": "较好", "r03": "差", "r04": "差"}


# ---------------------------------------------------------------- veto (一票否决)

def test_a_vetoed_reporter_is_bad_and_takes_no_good_slot():
    res = compute(routine_only(), by_routine(95, 99, 98, 97, 96, 85, 80, 75, 70, 60, vetoed=("r01",)))
    r01 = res.row("r01")
    assert r01.composite == 95 and r01.threshold_grade == "好"
    assert r01.grade == "差"
    assert r01.flags == ("veto",)
    assert r01.notes[-1] == "民主测评“差”票超过 1/3，一票否决，等次为“差”"
    # the three 好 slots go to 99, 98, 97; 96 is the 4th 好-by-score among those not vetoed
    g = grades(res)
    assert (g["r02"], g["r03"], g["r04"], g["r05"]) == ("好", "好", "好", "较好")
    assert r01.rank == 5  # the veto changes the grade, not the rank by score


def test_veto_applies_to_any_score():
    res = compute(routine_only(), by_routine(85, 72, vetoed=("r01", "r02")))
    assert grades(res) == {"r01": "差", "r02": "差"}


def test_veto_beats_a_committee_override():
    # r03 and r04 tie at 97 for the last slot, but r03 is vetoed: r04 alone takes the slot, and no
    # committee decision can lift the vetoed r03
    people = by_routine(99, 98, 97, 97, 95, 85, 80, 75, 70, 60, vetoed=("r03",))
    res = compute(routine_only(), people)
    assert res.row("r03").grade == "差" and res.row("r04").grade == "好"
    assert res.row("r04").flags == ()
    with pytest.raises(ValueError):
        compute(routine_only(), people, overrides={"r03": "好"})


def test_veto_disabled_means_no_veto():
    res = compute(routine_only(veto_enabled=False),
                  by_routine(95, 99, 98, 97, 96, 85, 80, 75, 70, 60, vetoed=("r01",)))
    r01 = res.row("r01")
    assert "veto" not in r01.flags
    # it now competes for 好 by rank (5th): demoted by the quota, not vetoed
    assert r01.grade == "较好" and r01.flags == ("quota_demoted",)
    assert grades(res)["r05"] == "较好"


# ---------------------------------------------------------------- missing judges

def test_missing_judges_are_flagged():
    r = ReporterInputs(key="a", judge_totals=judges(80, 90, 85), judges_expected=5, ballot=F(90))
    row = compute(default_scheme(), [r]).rows[0]
    assert "missing_judges" in row.flags
    assert "应评 5 位评委，已提交 3 位" in row.notes
    # (80 + 85 + 90) / 3 = 85: three judges, nothing dropped
    assert row.judging.score == 85 and row.judging.k == 0


def test_all_judges_submitted_is_not_flagged():
    r = ReporterInputs(key="a", judge_totals=judges(80, 90, 85), judges_expected=3, ballot=F(90))
    assert "missing_judges" not in compute(default_scheme(), [r]).rows[0].flags


# ---------------------------------------------------------------- snapshot and recompute

def test_snapshot_through_json_recomputes_identically():
    people = [
        ReporterInputs(key="a", judge_totals=judges("88.5", "91.25", "79.75", "86", "93"), judges_expected=6,
                       ballot=F(260, 3), routine=F("92.5"), rectification=F(100)),
        ReporterInputs(key="b", judge_totals=judges(95, 96), ballot=F(5020, 75), veto=True, routine=F(99)),
        ReporterInputs(key="c"),
        *by_routine(99, 97, 97),
    ]
    s = scheme(quota_good_percent="40")
    # quota 6 × 40% = 2.4 → 2: r01 (99) takes one slot; a (≈ 89.7) is below 90; b (vetoed) takes none;
    # r02 and r03 tie at 97 across the boundary
    overrides = {"r02": "好"}
    direct = compute(s, people, overrides)
    assert "quota_tie" in direct.row("r02").flags
    stored = json.loads(json.dumps(snapshot(s, people, overrides), ensure_ascii=False))
    assert stored["reporters"][0]["ballot"] == "260/3"  # non-terminating: kept exact
    assert stored["reporters"][0]["judges"][1] == ["j2", "91.25"]
    again = recompute(stored)
    assert as_data(again) == as_data(direct)
    assert again.row("a").inputs.ballot == F(260, 3)
    # and as_data is itself JSON-safe
    assert json.loads(json.dumps(as_data(direct), ensure_ascii=False)) == as_data(direct)


def test_exact_text_keeps_terminating_values_as_decimals():
    assert exact_text(F("87.5")) == "87.5"
    assert exact_text(F(5020, 75)) == "1004/15"  # 66.9333…
    assert exact_text(None) is None
    assert maths.exact("1004/15") == F(5020, 75)
    assert maths.exact("") is None


# ---------------------------------------------------------------- averages

def test_averages_of_each_component_and_the_composite():
    res = compute(default_scheme(), [
        # 80×30% + 90×40% + 70×20% + 100×10% = 24 + 36 + 14 + 10 = 84
        ReporterInputs(key="a", judge_totals=judges(80), ballot=F(90), routine=F(70), rectification=F(100)),
        # (90×30 + 60×40 + 80×20) / 90 = (2700 + 2400 + 1600) / 90 = 6700 / 90 = 670/9
        ReporterInputs(key="b", judge_totals=judges(90), ballot=F(60), routine=F(80)),
        ReporterInputs(key="c"),  # no score: left out of every average
    ])
    assert res.averages == {
        "judging": F(85),  # (80 + 90) / 2
        "ballot": F(75),  # (90 + 60) / 2
        "routine": F(75),  # (70 + 80) / 2
        "rectification": F(100),  # a only
        "composite": (F(84) + F(670, 9)) / 2,  # (756/9 + 670/9) / 2 = 1426/18 = 713/9 = 79.222…
    }
    assert as_data(res)["averages"]["composite"] == "79.22222222222222222222222222"


def test_averages_are_none_when_no_reporter_has_the_component():
    res = compute(default_scheme(), [ReporterInputs(key="a", routine=F(80))])
    assert res.averages["judging"] is None and res.averages["routine"] == 80
    assert as_data(res)["averages"]["judging"] is None


def test_duplicate_reporters_are_refused():
    with pytest.raises(ValueError, match="述职对象重复"):
        compute(default_scheme(), [ReporterInputs(key="a"), ReporterInputs(key="a")])
