"""The pure tally: hand-computed examples from the scheme rules, then properties (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuping.ballots.tally import as_data, half_up, tally
from shuping.campaigns.scheme import default_scheme

# One reporter; five ballots per group (the default min_group_size_shown is 5, so all are shown).
# 区委领导 (20%): 好 好 好 较好 弃权 → (300 + 80) / 4 = 95
# 领导小组成员 (30%): 好 较好 较好 一般 差 → (100 + 160 + 60 + 0) / 5 = 64
# 党代表 (25%): 好 × 5 → 100
# 基层党员群众代表 (25%): 一般 × 4, 差 → 240 / 5 = 48
# ballot score = 95×20% + 64×30% + 100×25% + 48×25% = 19 + 19.2 + 25 + 12 = 75.2
EXAMPLE = (
    [(0, g) for g in "11120"] + [(1, g) for g in "12234"] + [(2, g) for g in "11111"] + [(3, g) for g in "33334"]
)


def test_it_computes_the_hand_example():
    t = tally(default_scheme(), 1, EXAMPLE)
    line = t.lines[0]
    assert line.counts.grades == (9, 3, 5, 2) and line.counts.abstain == 1
    assert line.counts.valid == 19
    assert [g.score for g in line.groups] == [Decimal(95), Decimal(64), Decimal(100), Decimal(48)]
    assert line.score == Decimal("75.2") and line.score_display == "75.20"
    assert line.good_rate == Fraction(12, 19) and line.good_rate_display == "63.16%"
    assert not line.veto and not line.renormalised and line.dropped_groups == ()
    assert line.formula() == ("区委领导 95.00 × 20% + 领导小组成员 64.00 × 30% + 党代表 100.00 × 25% + "
                              "基层党员群众代表 48.00 × 25% = 75.20")
    assert t.n_ballots == 20 and t.n_blank == 1


def test_a_group_without_valid_grades_drops_out_and_the_rest_renormalise():
    rows = [r for r in EXAMPLE if r[0] != 2] + [(2, "0")] * 5  # 党代表 all abstain
    line = tally(default_scheme(), 1, rows).lines[0]
    # (95×20 + 64×30 + 48×25) / 75 = 5020 / 75 = 66.9333…
    assert line.exact_score == Fraction(5020, 75)
    assert line.score_display == "66.93"
    assert line.renormalised and line.dropped_groups == ("党代表",)
    used = {g.name: g.used_weight_display for g in line.groups}
    assert used == {"区委领导": "26.67%", "领导小组成员": "40.00%", "党代表": "—", "基层党员群众代表": "33.33%"}
    assert "党代表没有有效评价" in line.renormalisation_note()
    assert "区委领导 20% ÷ 75% = 26.67%" in line.renormalisation_note()


def test_a_group_with_no_ballots_at_all_also_drops_out():
    rows = [r for r in EXAMPLE if r[0] in (0, 1)]
    line = tally(default_scheme(), 1, rows).lines[0]
    assert line.exact_score == Fraction(95 * 20 + 64 * 30, 50)
    assert line.dropped_groups == ("党代表", "基层党员群众代表")


def test_abstentions_leave_the_denominator():
    with_abstentions = tally(default_scheme(), 1, [(0, "1"), (0, "3"), (0, "0"), (0, "0")]).lines[0]
    assert with_abstentions.counts.valid == 2
    assert with_abstentions.exact_score == 80
    assert with_abstentions.good_rate == Fraction(1, 2)


def test_exactly_one_third_bad_is_not_a_veto():
    line = tally(default_scheme(), 1, [(0, "4"), (0, "1"), (0, "1"), (0, "0")]).lines[0]
    assert line.bad_share == Fraction(1, 3)
    assert not line.veto
    assert "未超过 1/3" in line.veto_note()


def test_more_than_one_third_bad_is_a_veto():
    line = tally(default_scheme(), 1, [(0, "4"), (0, "4"), (0, "1"), (0, "1"), (1, "2")]).lines[0]
    assert line.bad_share == Fraction(2, 5)
    assert line.veto
    assert line.veto_note() == "差 2 票 ÷ 有效 5 票 = 40.00%，超过 1/3"


def test_the_veto_share_comes_from_the_scheme_and_can_be_switched_off():
    rows = [(0, "4"), (0, "1"), (0, "1"), (0, "1")]  # 1/4 bad
    s = default_scheme()
    s["veto_bad_share"] = "0.2"
    assert tally(s, 1, rows).lines[0].veto
    s["veto_enabled"] = False
    assert not tally(s, 1, rows).lines[0].veto


def test_small_groups_are_counted_but_hidden():
    rows = [(0, "1")] * 4 + [(1, "3")] * 5  # 区委领导 has 4 ballots: below 5
    t = tally(default_scheme(), 1, rows)
    assert [g.hidden for g in t.groups] == [True, False, True, True]  # 0 ballots is below 5 too
    line = t.lines[0]
    assert line.exact_score == Fraction(100 * 20 + 60 * 30, 50)  # still in the score
    assert "区委领导（不足 5 票，不单独显示）" in line.formula()
    assert "100.00" not in line.formula()
    data = as_data(t)["lines"][0]["groups"]
    assert "counts" not in data[0] and "score" not in data[0] and data[0]["hidden"]
    assert data[1]["counts"]["grades"]["一般"] == 5


def test_all_abstain_gives_no_score():
    t = tally(default_scheme(), 2, [(0, "00"), (1, "01")])
    assert t.lines[0].score is None and t.lines[0].score_display == "—"
    assert "全部弃权" in t.lines[0].formula()
    assert t.lines[0].good_rate is None and not t.lines[0].veto
    assert t.n_blank == 1


def test_it_counts_each_position_separately():
    t = tally(default_scheme(), 3, [(0, "124"), (0, "120"), (1, "314")])
    assert [ln.counts.grades for ln in t.lines] == [(2, 0, 1, 0), (1, 2, 0, 0), (0, 0, 0, 2)]
    assert t.lines[2].counts.abstain == 1


def test_per_item_grades_are_tallied():
    # two reporters × two items, reporter-major: r0i0 r0i1 r1i0 r1i1
    rows = [(0, "12", "1234"), (0, "11", "1100"), (1, "22", "")]
    t = tally(default_scheme(), 2, rows, item_names=["理论武装", "基层治理"])
    r0 = t.lines[0].items
    assert [i.name for i in r0] == ["理论武装", "基层治理"]
    assert r0[0].counts.grades == (2, 0, 0, 0) and r0[0].counts.abstain == 1
    assert r0[1].counts.grades == (1, 1, 0, 0)
    r1 = t.lines[1].items
    assert r1[0].counts.grades == (0, 0, 1, 0) and r1[0].counts.abstain == 2
    assert r1[1].mean == 0


def test_scheme_points_are_used():
    s = default_scheme()
    s["ballot_grades"] = [{"label": "好", "points": "95.5"}, {"label": "较好", "points": "85"},
                          {"label": "一般", "points": "70"}, {"label": "差", "points": "40"}]
    line = tally(s, 1, [(0, "1"), (0, "4")]).lines[0]
    assert line.score == Decimal("67.75")


def test_rounding_for_display_is_half_up_from_the_exact_value():
    assert half_up(Fraction(92125, 1000)) == Decimal("92.13")
    assert half_up(Fraction(2675, 1000)) == Decimal("2.68")
    assert half_up(Fraction(200, 3)) == Decimal("66.67")
    assert half_up(Fraction(-2675, 1000)) == Decimal("-2.68")


def test_it_refuses_ballots_that_do_not_fit():
    with pytest.raises(ValueError, match="类别"):
        tally(default_scheme(), 1, [(7, "1")])
    with pytest.raises(ValueError, match="类别"):
        tally(default_scheme(), 1, [(-1, "1")])
    with pytest.raises(ValueError, match="2 项"):
        tally(default_scheme(), 2, [(0, "1")])
    with pytest.raises(ValueError, match="无法识别"):
        tally(default_scheme(), 2, [(0, "1x")])


def test_as_data_has_decimal_strings():
    data = as_data(tally(default_scheme(), 1, EXAMPLE))
    line = data["lines"][0]
    assert line["score"] == "75.2" and line["score_display"] == "75.20"
    assert line["counts"]["good_rate"].startswith("0.631578947")
    assert data["groups"][0] == {"index": 0, "name": "区委领导", "weight": "20", "ballots": 5, "hidden": False}
    assert data["veto_share"] == "1/3"


# ---- properties -----------------------------------------------------------------------------------

N_LINES = 3
ballot = st.tuples(st.integers(0, 3), st.text(alphabet="01234", min_size=N_LINES, max_size=N_LINES))


@settings(max_examples=60, deadline=None)
@given(st.lists(ballot, max_size=40), st.randoms(use_true_random=False))
def test_order_of_ballots_changes_nothing(rows, rnd):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert tally(default_scheme(), N_LINES, rows) == tally(default_scheme(), N_LINES, shuffled)


@settings(max_examples=60, deadline=None)
@given(st.lists(ballot, max_size=40))
def test_scores_and_rates_stay_in_range(rows):
    t = tally(default_scheme(), N_LINES, rows)
    assert t.n_ballots == len(rows)
    for line in t.lines:
        assert line.counts.total == len(rows)
        if line.exact_score is not None:
            assert 0 <= line.exact_score <= 100
            valid = [g for g in line.groups if g.mean is not None]
            assert min(g.mean for g in valid) <= line.exact_score <= max(g.mean for g in valid)  # type: ignore
            assert sum(g.used_weight for g in valid) == 100  # type: ignore
        if line.good_rate is not None:
            assert 0 <= line.good_rate <= 1
        assert line.veto == (line.counts.valid > 0 and Fraction(line.counts.bad, line.counts.valid) > Fraction(1, 3))
