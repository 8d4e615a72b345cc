"""The score maths of 考核结果: judges' trimmed mean, composite, rank, grade, quota, veto. Pure (no Django).

Rules (domain.md "Default scoring scheme"; every number comes from the campaign's scheme):

- 现场/书面评分: a judge's total is the sum of their indicator points; the reporter's score is the mean of
  the judge totals after dropping the k highest and k lowest (k = scheme["trim_k"] when at least
  scheme["trim_min_judges"] judges submitted, else 0). Judges are ordered by (total, judge key), so which
  of two equal totals is marked dropped never depends on input order — and the mean does not either.
- Composite = Σ weight × component / Σ weight over the components this reporter has. A missing component
  (no judges, no ballot grade, no 日常考核, no ledger for 整改成效) drops out and the others re-normalise;
  the row is flagged with what dropped out.
- Rank: by composite, then the scheme's tie-breaks (default 民主测评, then 现场评分), all compared exactly;
  still equal → shared rank (1, 2, 2, 4). A reporter with no component at all ranks last, ungraded.
- Grade by thresholds (好 ≥ 90, 较好 ≥ 80, 一般 ≥ 70, else 差), then the 好 quota: at most
  floor(N × quota%) of the N participants keep 好, by rank; the excess become 较好. A shared rank that
  straddles the boundary takes the lower grade and is flagged for the committee, whose decision
  (`overrides`) may give it 好 — the only way the quota is exceeded.
- Veto (一票否决): 差 votes above the scheme's share of valid grades → 差, whatever the score, quota or override.

Arithmetic is exact (Fraction; Decimal inputs convert without loss). Outputs are Decimal strings of 28
significant digits (exact whenever the value terminates within them) plus 2-place half-up display strings
rounded from the exact value. No float anywhere. Every result keeps its inputs and a formula in words, so
a page can explain each number.

`snapshot` / `from_snapshot` turn the inputs into JSON and back (exact: a non-terminating value is kept
as "n/d"), and `as_data` turns a result into JSON: stored side by side, they let anyone recompute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from shuping.ballots.tally import half_up, show, to_decimal
from shuping.campaigns.scheme import COMPONENTS, parse_share

GRADES = ("好", "较好", "一般", "差")
UNGRADED = "未评定"
_HUNDRED = Fraction(100)

FLAG_LABELS = {
    "renormalised": "权重折算",
    "missing_judges": "评委未全部提交",
    "veto": "一票否决",
    "quota_demoted": "超出“好”等次比例",
    "quota_tie": "并列跨越“好”等次比例，待领导小组决定",
    "committee_decision": "领导小组决定等次",
    "no_score": "无任何得分",
}


# ---------------------------------------------------------------- numbers

def exact(value: Any) -> Fraction | None:
    """'87.5', '260/3', Decimal, int or Fraction → Fraction; None/'' → None."""
    if value is None or value == "":
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int | Decimal):
        return Fraction(value)
    return parse_share(str(value))


def exact_text(value: Fraction | None) -> str | None:
    """An exact, JSON-safe text: the Decimal when the value terminates, else 'n/d'."""
    if value is None:
        return None
    d = to_decimal(value)
    return str(d) if Fraction(d) == value else f"{value.numerator}/{value.denominator}"


def dec_text(value: Fraction | None) -> str | None:
    return None if value is None else str(to_decimal(value))


def num(value: Fraction | Decimal | None) -> str:
    """2-place half-up display."""
    if isinstance(value, Decimal):
        value = Fraction(value)
    return show(value)


def pct(weight: Fraction) -> str:
    """A weight in percent: '30%' when whole, else 2 places ('33.33%')."""
    if weight.denominator == 1:
        return f"{weight.numerator}%"
    return f"{half_up(weight)}%"


# ---------------------------------------------------------------- inputs

@dataclass(frozen=True)
class ReporterInputs:
    """Everything the maths needs about one reporter. `key` is stable (the participant id)."""

    key: str
    judge_totals: tuple[tuple[str, Fraction], ...] = ()  # (judge key, total) of submitted sheets
    judges_expected: int = 0  # panel members who should score this reporter (after 回避)
    ballot: Fraction | None = None  # 民主测评 score; None: no valid grade (or no ballot)
    veto: bool = False  # the ballot's veto signal (差 share above the scheme's share)
    routine: Fraction | None = None
    rectification: Fraction | None = None


# ---------------------------------------------------------------- 现场评分

@dataclass(frozen=True)
class JudgeEntry:
    judge: str
    total: Fraction
    dropped: str  # "" kept, "high" or "low": dropped by the trimmed mean


@dataclass(frozen=True)
class Judging:
    entries: tuple[JudgeEntry, ...]  # ordered by (total, judge)
    k: int
    score: Fraction | None

    @property
    def kept(self) -> tuple[JudgeEntry, ...]:
        return tuple(e for e in self.entries if not e.dropped)

    def formula(self, names: Mapping[str, str] | None = None) -> str:
        if self.score is None:
            return "没有评委提交评分，不计入"
        kept = self.kept
        terms = " + ".join(num(e.total) for e in kept)
        trim = (f"去掉最高、最低各 {self.k} 个分数后，" if self.k else
                f"{len(self.entries)} 位评委，不去掉最高、最低分，")
        return f"{trim}({terms}) ÷ {len(kept)} = {num(self.score)}"


def judging(totals: Sequence[tuple[str, Fraction]], trim_k: int, trim_min_judges: int) -> Judging:
    ordered = sorted(((t, j) for j, t in totals), key=lambda x: (x[0], x[1]))
    n = len(ordered)
    k = trim_k if n >= trim_min_judges and n > 2 * trim_k else 0
    entries = tuple(
        JudgeEntry(judge=j, total=t, dropped="low" if i < k else "high" if i >= n - k else "")
        for i, (t, j) in enumerate(ordered)
    )
    kept = [e.total for e in entries if not e.dropped]
    score = sum(kept, Fraction(0)) / len(kept) if kept else None
    return Judging(entries=entries, k=k, score=score)


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class Component:
    name: str  # judging | ballot | routine | rectification
    value: Fraction | None
    weight: Fraction  # the scheme's, percent
    used_weight: Fraction | None  # percent actually applied (re-normalised); None when it dropped out

    @property
    def label(self) -> str:
        return COMPONENTS[self.name]

    @property
    def contribution(self) -> Fraction | None:
        if self.value is None or self.used_weight is None:
            return None
        return self.value * self.used_weight / _HUNDRED


@dataclass(frozen=True)
class Row:
    key: str
    inputs: ReporterInputs
    judging: Judging
    components: tuple[Component, ...]
    composite: Fraction | None
    rank: int
    threshold_grade: str  # by the thresholds alone
    grade: str  # final
    flags: tuple[str, ...]
    notes: tuple[str, ...]  # why the grade is what it is, in words

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)

    @property
    def dropped_components(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.components if c.weight and c.value is None)

    def composite_formula(self) -> str:
        if self.composite is None:
            return "没有任何得分，无法计算综合得分"
        terms = [f"{c.label} {num(c.value)} × {pct(c.used_weight)}" for c in self.components
                 if c.used_weight is not None and c.value is not None]
        text = " + ".join(terms) + f" = {num(self.composite)}"
        if "renormalised" in self.flags:
            present = sum((c.weight for c in self.components if c.used_weight is not None), Fraction(0))
            text += (f"（{'、'.join(self.dropped_components)}无数据，不计入；其余权重按 {pct(present)} "
                     f"折算为 100%）")
        return text


@dataclass(frozen=True)
class Results:
    rows: tuple[Row, ...]  # in rank order
    n: int
    quota: int  # how many may be 好
    thresholds: tuple[tuple[str, Fraction], ...]
    tie_breaks: tuple[str, ...]
    averages: dict[str, Fraction | None] = field(default_factory=dict)  # per component and "composite"

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)


def _threshold_grade(value: Fraction | None, thresholds: Sequence[tuple[str, Fraction]]) -> str:
    if value is None:
        return UNGRADED
    for grade, line in thresholds:
        if value >= line:
            return grade
    return GRADES[-1]


def _sort_key(composite: Fraction | None, comps: Mapping[str, Fraction | None],
              tie_breaks: Sequence[str]) -> tuple[Any, ...]:
    """Higher is better; a missing value sorts below every present one."""
    def v(x: Fraction | None) -> tuple[int, Fraction]:
        return (0, Fraction(0)) if x is None else (1, x)
    return (v(composite), *(v(comps[t]) for t in tie_breaks))


def compute(scheme: Mapping[str, Any], reporters: Sequence[ReporterInputs],
            overrides: Mapping[str, str] | None = None) -> Results:
    """Rank and grade `reporters` under `scheme`. `overrides`: the committee's grade for a row flagged
    `quota_tie` (ValueError for any other row, or an unknown grade)."""
    overrides = dict(overrides or {})
    weights = {c: Fraction(Decimal(str(scheme["component_weights"][c]))) for c in COMPONENTS}
    th = scheme["grade_thresholds"]
    thresholds = tuple((g, Fraction(Decimal(str(th[g])))) for g in GRADES[:-1])
    tie_breaks = tuple(scheme.get("tie_breaks", ["ballot", "judging"]))
    trim_k, trim_min = int(scheme["trim_k"]), int(scheme["trim_min_judges"])
    veto_enabled = bool(scheme.get("veto_enabled", True))
    n = len(reporters)
    quota = int(Fraction(n) * Fraction(Decimal(str(scheme["quota_good_percent"]))) / _HUNDRED)  # floor

    if len({r.key for r in reporters}) != n:
        raise ValueError("述职对象重复")

    prepared = []
    for r in reporters:
        j = judging(r.judge_totals, trim_k, trim_min)
        values = {"judging": j.score, "ballot": r.ballot, "routine": r.routine,
                  "rectification": r.rectification}
        present = sum((weights[c] for c in COMPONENTS if values[c] is not None), Fraction(0))
        comps = tuple(
            Component(name=c, value=values[c], weight=weights[c],
                      used_weight=(weights[c] * _HUNDRED / present
                                   if present and values[c] is not None else None))
            for c in COMPONENTS
        )
        given = {c: v for c, v in values.items() if v is not None}
        composite = sum((weights[c] * v for c, v in given.items()), Fraction(0)) / present if present else None
        prepared.append((r, j, comps, values, composite))

    keys = {r.key: _sort_key(composite, values, tie_breaks) for r, _, _, values, composite in prepared}
    # Best first; equal sort keys (a shared rank) listed by participant key, so the order never depends
    # on the input order.
    ordered = sorted(prepared, key=lambda p: p[0].key)
    ordered.sort(key=lambda p: keys[p[0].key], reverse=True)
    ranks: dict[str, int] = {}
    for i, p in enumerate(ordered):
        k = keys[p[0].key]
        ranks[p[0].key] = ranks[ordered[i - 1][0].key] if i and keys[ordered[i - 1][0].key] == k else i + 1

    grades: dict[str, str] = {}
    flags: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    for r, _j, comps, _values, composite in ordered:
        f = flags[r.key] = []
        nt = notes[r.key] = []
        grades[r.key] = _threshold_grade(composite, thresholds)
        if composite is None:
            f.append("no_score")
            nt.append("没有任何组成部分的得分，不评定等次")
        else:
            nt.append(_threshold_note(composite, grades[r.key], thresholds))
            if any(c.value is None and c.weight for c in comps):
                f.append("renormalised")
        if len(r.judge_totals) < r.judges_expected:
            f.append("missing_judges")
            nt.append(f"应评 {r.judges_expected} 位评委，已提交 {len(r.judge_totals)} 位")

    # 好 quota, by rank, over the reporters that reach the 好 line and are not vetoed.
    taken, boundary_passed = 0, False
    candidates = [p[0].key for p in ordered
                  if grades[p[0].key] == GRADES[0] and not (veto_enabled and p[0].veto)]
    by_rank: dict[int, list[str]] = {}
    for key in candidates:
        by_rank.setdefault(ranks[key], []).append(key)
    for rank in sorted(by_rank):
        group = by_rank[rank]
        if not boundary_passed and taken + len(group) <= quota:
            taken += len(group)
            continue
        straddles = not boundary_passed and taken < quota
        boundary_passed = True
        for key in group:
            grades[key] = GRADES[1]
            if straddles:
                flags[key].append("quota_tie")
                notes[key].append(f"与其他 {len(group) - 1} 人并列第 {rank} 名，跨越“好”等次比例上限（{quota} 人，"
                                  f"已有 {taken} 人），按较低等次计为“较好”，提请领导小组决定")
            else:
                flags[key].append("quota_demoted")
                notes[key].append(f"“好”等次比例上限为 {quota} 人（{n} 人 × {scheme['quota_good_percent']}%，"
                                  f"取整），排名在后，计为“较好”")

    for key, grade in overrides.items():
        if key not in flags:
            raise ValueError(f"述职对象 {key} 不在结果中")
        if "quota_tie" not in flags[key]:
            raise ValueError("只有并列跨越“好”等次比例的述职对象可由领导小组决定等次")
        if grade not in GRADES[:2]:
            raise ValueError(f"领导小组决定的等次只能是“好”或“较好”，不能是“{grade}”")
        grades[key] = grade
        flags[key].append("committee_decision")
        notes[key].append(f"领导小组决定：{grade}")

    for r, *_ in ordered:
        if veto_enabled and r.veto:
            grades[r.key] = GRADES[-1]
            flags[r.key].append("veto")
            notes[r.key].append(f"民主测评“差”票超过 {scheme['veto_bad_share']}，一票否决，等次为“差”")

    rows = tuple(
        Row(key=r.key, inputs=r, judging=j, components=comps, composite=composite, rank=ranks[r.key],
            threshold_grade=_threshold_grade(composite, thresholds), grade=grades[r.key],
            flags=tuple(flags[r.key]), notes=tuple(notes[r.key]))
        for r, j, comps, values, composite in ordered
    )
    return Results(rows=rows, n=n, quota=quota, thresholds=thresholds, tie_breaks=tie_breaks,
                   averages=_averages(rows))


def _threshold_note(value: Fraction, grade: str, thresholds: Sequence[tuple[str, Fraction]]) -> str:
    for g, line in thresholds:
        if g == grade:
            return f"综合得分 {num(value)} ≥ {num(line)}，按分数线为“{g}”"
    lowest = thresholds[-1][1]
    return f"综合得分 {num(value)} < {num(lowest)}，按分数线为“{GRADES[-1]}”"


def _averages(rows: Sequence[Row]) -> dict[str, Fraction | None]:
    out: dict[str, Fraction | None] = {}
    for name in (*COMPONENTS, "composite"):
        values = [r.composite if name == "composite" else r.component(name).value for r in rows]
        present = [v for v in values if v is not None]
        out[name] = sum(present, Fraction(0)) / len(present) if present else None
    return out


# ---------------------------------------------------------------- JSON

def snapshot(scheme: Mapping[str, Any], reporters: Sequence[ReporterInputs],
             overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The inputs as JSON (exact)."""
    keys = ("component_weights", "grade_thresholds", "quota_good_percent", "trim_k", "trim_min_judges",
            "veto_enabled", "veto_bad_share", "tie_breaks")
    return {
        "scheme": {k: scheme[k] for k in keys},
        "reporters": [
            {"key": r.key, "judges": [[j, exact_text(t)] for j, t in r.judge_totals],
             "judges_expected": r.judges_expected, "ballot": exact_text(r.ballot), "veto": r.veto,
             "routine": exact_text(r.routine), "rectification": exact_text(r.rectification)}
            for r in reporters
        ],
        "overrides": dict(overrides or {}),
    }


def from_snapshot(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[ReporterInputs], dict[str, str]]:
    reporters = []
    for r in data["reporters"]:
        totals = tuple((str(j), exact(t)) for j, t in r["judges"])
        reporters.append(ReporterInputs(
            key=str(r["key"]), judge_totals=totals,  # type: ignore[arg-type]
            judges_expected=int(r["judges_expected"]), ballot=exact(r["ballot"]), veto=bool(r["veto"]),
            routine=exact(r["routine"]), rectification=exact(r["rectification"])))
    return dict(data["scheme"]), reporters, dict(data.get("overrides", {}))


def recompute(data: Mapping[str, Any]) -> Results:
    scheme, reporters, overrides = from_snapshot(data)
    return compute(scheme, reporters, overrides)


def as_data(res: Results) -> dict[str, Any]:
    """JSON-ready: exact Decimal strings (28 significant digits) and 2-place display strings."""
    rows = []
    for r in res.rows:
        comps = {}
        for c in r.components:
            comps[c.name] = {"value": dec_text(c.value), "display": num(c.value) if c.value is not None else None,
                             "weight": exact_text(c.weight), "used_weight": dec_text(c.used_weight),
                             "contribution": dec_text(c.contribution)}
        rows.append({
            "key": r.key,
            "rank": r.rank,
            "grade": r.grade,
            "threshold_grade": r.threshold_grade,
            "composite": dec_text(r.composite),
            "composite_display": num(r.composite) if r.composite is not None else None,
            "composite_formula": r.composite_formula(),
            "components": comps,
            "judging": {
                "k": r.judging.k,
                "entries": [{"judge": e.judge, "total": exact_text(e.total), "dropped": e.dropped}
                            for e in r.judging.entries],
                "judges_expected": r.inputs.judges_expected,
                "formula": r.judging.formula(),
            },
            "veto": "veto" in r.flags,  # applied (the input signal counts only with veto_enabled)
            "flags": list(r.flags),
            "notes": list(r.notes),
        })
    return {
        "n": res.n,
        "quota": res.quota,
        "thresholds": {g: exact_text(v) for g, v in res.thresholds},
        "tie_breaks": list(res.tie_breaks),
        "averages": {k: dec_text(v) for k, v in res.averages.items()},
        "rows": rows,
    }
