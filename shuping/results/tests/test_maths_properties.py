"""Properties of the score maths of 考核结果 (hypothesis): invariants that hold for every input.

Scores are 2-place decimals in [0, 100] as exact Fractions; 1–40 reporters, 0–25 judges each. No database.
"""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shuping.campaigns.scheme import COMPONENTS, default_scheme
from shuping.results.maths import GRADES, ReporterInputs, Results, as_data, compute, judging

FAST = settings(max_examples=50, deadline=None)

score = st.integers(0, 10000).map(lambda c: Fraction(c, 100))  # 0.00 … 100.00
high = st.integers(8500, 10000).map(lambda c: Fraction(c, 100))
# Each reporter has a level; most of their scores sit exactly on it, so equal composites (ties) and
# composites at or above the 好 line (quota, veto against 好) are common, not one-in-a-million; a
# quarter of the reporters copy an earlier one's scores, so shared ranks across the quota line occur.
levels = st.sampled_from([Fraction(v) for v in (60, 70, 80, 90, 90, 95, 95, 100)])


@st.composite
def reporters(draw: st.DrawFn, min_size: int = 1, max_size: int = 40) -> list[ReporterInputs]:
    n = draw(st.integers(min_size, max_size))
    out: list[ReporterInputs] = []
    for i in range(n):
        if out and draw(st.integers(0, 3)) == 0:  # the same scores as an earlier reporter: a full tie
            out.append(dataclasses.replace(draw(st.sampled_from(out)), key=f"p{i:02d}"))
            continue
        level = draw(levels)
        value = st.one_of(st.just(level), st.just(level), score, high)
        maybe = st.one_of(st.none(), value, value)
        totals = draw(st.lists(value, max_size=25))
        ballot = draw(maybe)
        out.append(ReporterInputs(
            key=f"p{i:02d}",
            judge_totals=tuple((f"j{j:02d}", t) for j, t in enumerate(totals)),
            judges_expected=draw(st.integers(0, 25)),
            # the veto signal comes from the ballot's 差 share: no valid grade, no veto
            ballot=ballot, veto=ballot is not None and draw(st.integers(0, 5)) == 0,
            routine=draw(maybe), rectification=draw(maybe),
        ))
    return out


@st.composite
def level_reporters(draw: st.DrawFn) -> list[ReporterInputs]:
    """1–40 reporters whose every score is their level (90, 95, 100 …): many ties at and above the 好 line."""
    out = []
    for i in range(draw(st.integers(1, 40))):
        level = draw(levels)
        out.append(ReporterInputs(key=f"p{i:02d}", judge_totals=(("j", level),), ballot=level,
                                  veto=draw(st.integers(0, 5)) == 0, routine=level, rectification=level))
    return out


@st.composite
def schemes(draw: st.DrawFn) -> dict[str, Any]:
    s = default_scheme()
    k = draw(st.integers(0, 3))
    s["trim_k"] = k
    s["trim_min_judges"] = draw(st.integers(2 * k + 1, 9))
    s["quota_good_percent"] = str(draw(st.sampled_from([0, 10, 15, 20, 25, 30, 30, 33, 100])))
    s["veto_enabled"] = draw(st.booleans())
    s["tie_breaks"] = draw(st.sampled_from([["ballot", "judging"], ["judging"], [], ["routine", "ballot"]]))
    return s


def committee(res: Results, choice: st.DrawFn) -> dict[str, str]:
    """Some committee decisions on the rows flagged quota_tie (the only rows they may touch)."""
    tied = [r.key for r in res.rows if "quota_tie" in r.flags]
    if not tied:
        return {}
    return choice(st.dictionaries(st.sampled_from(tied), st.sampled_from(GRADES[:2]), min_size=1))


def rows_of(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["key"], r["rank"], r["grade"], r["composite"]) for r in data["rows"]]


# ---------------------------------------------------------------- invariance

@FAST
@given(st.data(), schemes(), st.one_of(reporters(), level_reporters()))
def test_permuting_judges_and_reporters_changes_nothing(data, s, people):
    base = compute(s, people)
    overrides = committee(base, data.draw)
    expected = as_data(compute(s, people, overrides))
    shuffled = [dataclasses.replace(r, judge_totals=tuple(data.draw(st.permutations(r.judge_totals))))
                for r in data.draw(st.permutations(people))]
    assert as_data(compute(s, shuffled, overrides)) == expected


# ---------------------------------------------------------------- 现场评分

@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(score, levels), max_size=25), st.integers(0, 3), st.integers(1, 9))
def test_the_trimmed_mean_lies_between_the_lowest_and_highest_total(totals, k, min_judges):
    j = judging([(f"j{i}", t) for i, t in enumerate(totals)], k, max(min_judges, 2 * k + 1))
    if not totals:
        assert j.score is None
        return
    assert j.score is not None
    assert min(totals) <= j.score <= max(totals)
    # and exactly k low and k high are dropped, never more than the panel allows
    assert sum(e.dropped == "low" for e in j.entries) == sum(e.dropped == "high" for e in j.entries) == j.k
    assert len(j.kept) == len(totals) - 2 * j.k >= 1
    assert all(e.total <= min(x.total for x in j.kept) for e in j.entries if e.dropped == "low")
    assert all(e.total >= max(x.total for x in j.kept) for e in j.entries if e.dropped == "high")


# ---------------------------------------------------------------- composite

@FAST
@given(schemes(), reporters())
def test_the_composite_lies_between_the_components_it_uses(s, people):
    for row in compute(s, people).rows:
        used = [c.value for c in row.components if c.used_weight is not None and c.value is not None]
        if row.composite is None:
            assert not used and row.grade == "未评定" and "no_score" in row.flags
        else:
            assert min(used) <= row.composite <= max(used)
            assert sum(c.used_weight for c in row.components if c.used_weight is not None) == 100


@FAST
@given(schemes(), reporters(), st.sampled_from(list(COMPONENTS)))
def test_a_component_missing_for_everyone_ranks_as_if_its_weight_were_zero(s, people, missing):
    gone: dict[str, Any] = {"judge_totals": ()} if missing == "judging" else {missing: None}
    without = [dataclasses.replace(r, **gone) for r in people]
    zeroed = dict(s, component_weights=dict(s["component_weights"], **{missing: "0"}))
    a = compute(s, without)
    b = compute(zeroed, without)
    # same composite (the other weights re-normalise either way), same rank and grade
    assert rows_of(as_data(a)) == rows_of(as_data(b))
    # only the flag differs: the scheme's weight dropped out in a, there was none to drop in b
    assert [tuple(f for f in r.flags if f != "renormalised") for r in a.rows] == \
           [tuple(f for f in r.flags if f != "renormalised") for r in b.rows]
    if s["component_weights"][missing] != "0":
        assert all("renormalised" in r.flags for r in a.rows if r.composite is not None)


# ---------------------------------------------------------------- grades

@FAST
@given(st.data(), schemes(), st.one_of(reporters(), level_reporters()))
def test_good_never_exceeds_the_quota_but_by_committee_decision(data, s, people):
    base = compute(s, people)
    res = compute(s, people, committee(base, data.draw))
    good = [r for r in res.rows if r.grade == "好"]
    by_decision = [r for r in good if "quota_tie" in r.flags and "committee_decision" in r.flags]
    assert len(good) - len(by_decision) <= res.quota
    assert res.quota == int(len(people) * Fraction(s["quota_good_percent"]) / 100)
    # the grade of every row the committee did not touch is the same as without decisions
    touched = {r.key for r in res.rows if "committee_decision" in r.flags}
    assert {r.key: r.grade for r in res.rows if r.key not in touched} == \
           {r.key: r.grade for r in base.rows if r.key not in touched}


@FAST
@given(st.data(), schemes(), st.one_of(reporters(), level_reporters()))
def test_veto_means_bad_and_bad_without_veto_means_below_the_line(data, s, people):
    base = compute(s, people)
    res = compute(s, people, committee(base, data.draw))
    bottom = Fraction(s["grade_thresholds"]["一般"])
    good_line = Fraction(s["grade_thresholds"]["好"])
    for r in res.rows:
        vetoed = s["veto_enabled"] and r.inputs.veto
        if vetoed:
            assert r.grade == "差" and "veto" in r.flags
        else:
            assert "veto" not in r.flags
        if r.grade == "差" and not vetoed:
            assert r.composite is not None and r.composite < bottom
        if r.grade == "好":
            assert r.composite is not None and r.composite >= good_line
        if r.composite is None and not vetoed:
            assert r.grade == "未评定"


@FAST
@given(schemes(), reporters())
def test_ranks_are_competition_ranks_in_descending_composite(s, people):
    rows = compute(s, people).rows
    ranks = [r.rank for r in rows]
    assert ranks[0] == 1
    for i in range(1, len(rows)):
        # a rank either repeats (a tie) or jumps to the 1-based position: r followed by r + tie size
        assert ranks[i] in (ranks[i - 1], i + 1)
    # each shared rank r is held by exactly (next rank − r) rows
    for r in set(ranks):
        size = ranks.count(r)
        following = [x for x in ranks if x > r]
        if following:
            assert min(following) == r + size
    # composites never increase along the rows (missing composites last)
    present = [r.composite for r in rows if r.composite is not None]
    assert present == sorted(present, reverse=True)
    assert all(r.composite is None for r in rows[len(present):])
    # rows sharing a rank have equal composites
    for a, b in itertools.pairwise(rows):
        if a.rank == b.rank:
            assert a.composite == b.composite
