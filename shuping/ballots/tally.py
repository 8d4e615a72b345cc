"""The 民主测评 tally: counts, 好评率, group scores, the weighted ballot score and the veto signal.

Pure (no Django): input is the campaign scheme as stored, the number of reporters on the ballot and
the ballots as (group, grades[, item_grades]) rows — grades one character per ballot position
(shuping.ballots.codes). Rules (domain.md "Default scoring scheme"):

- abstentions ('0') leave the denominator; valid = 好 + 较好 + 一般 + 差;
- 好评率 = (好 + 较好) / valid;
- group score = mean points of the group's valid grades (points from scheme["ballot_grades"]);
- ballot score = Σ weight × group score / Σ weight over the groups with valid grades: with every
  group present Σ weight = 100%; a group without valid grades drops out, the others re-normalise,
  and the result names the group that dropped out;
- veto signal: 差 / valid > scheme["veto_bad_share"], decided exactly (1/3 exactly is not a veto);
- a group with fewer than scheme["min_group_size_shown"] ballots is counted but its breakdown is hidden.

Arithmetic is exact (Fraction, which Decimal inputs convert to without loss); results are exposed as
Decimal (28 significant digits) and as 2-place half-up strings for display, rounded from the exact
value. No float anywhere. Every input of a score (counts, weights used) stays in the result so a
page can show the formula.

Speed: ballots are grouped by voter group, each group's grade strings joined once, and a reporter's
column is a strided slice of that string counted with str.count — C loops throughout, so 100,000
ballots × 30 reporters take a few milliseconds here (the DB read dominates; see bench/tally.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction
from typing import Any

from shuping.ballots.codes import ABSTAIN, GRADE_CHARS
from shuping.campaigns.scheme import parse_share

_CTX = Context(prec=28)
_HUNDRED = Fraction(100)


def to_decimal(value: Fraction) -> Decimal:
    """The exact value rounded to 28 significant digits (exact whenever it terminates within them)."""
    return _CTX.divide(Decimal(value.numerator), Decimal(value.denominator))


def half_up(value: Fraction, places: int = 2) -> Decimal:
    """Round the exact value half-up (away from zero on a tie) to `places` decimals — for display/export."""
    scaled = abs(value) * 10**places
    whole = int(scaled + Fraction(1, 2))  # floor(x + 1/2) for x ≥ 0
    sign = -1 if value < 0 else 1
    return Decimal(sign * whole).scaleb(-places)


def show(value: Fraction | None, places: int = 2, suffix: str = "") -> str:
    return "—" if value is None else f"{half_up(value, places)}{suffix}"


def show_percent(value: Fraction | None, places: int = 2) -> str:
    """A share in [0, 1] as a percentage string, e.g. 0.8333… → '83.33%'."""
    return "—" if value is None else f"{half_up(value * 100, places)}%"


@dataclass(frozen=True)
class Counts:
    """How often each grade was given: `grades` in scheme order (好, 较好, 一般, 差), then abstentions."""

    grades: tuple[int, ...]
    abstain: int

    @property
    def valid(self) -> int:
        return sum(self.grades)

    @property
    def total(self) -> int:
        return self.valid + self.abstain

    @property
    def good(self) -> int:
        """好 + 较好."""
        return self.grades[0] + self.grades[1]

    @property
    def bad(self) -> int:
        return self.grades[-1]

    def good_rate(self) -> Fraction | None:
        return Fraction(self.good, self.valid) if self.valid else None

    def mean(self, points: Sequence[Fraction]) -> Fraction | None:
        if not self.valid:
            return None
        return sum((p * n for p, n in zip(points, self.grades, strict=True)), Fraction(0)) / self.valid

    def __add__(self, other: Counts) -> Counts:
        return Counts(tuple(a + b for a, b in zip(self.grades, other.grades, strict=True)),
                      self.abstain + other.abstain)


@dataclass(frozen=True)
class GroupInfo:
    """A voter group of the scheme, with how many ballots it cast."""

    index: int
    name: str
    weight: Decimal  # percent, as in the scheme
    ballots: int
    hidden: bool  # fewer ballots than min_group_size_shown: counted, never shown on its own
    min_shown: int  # the scheme's min_group_size_shown

    @property
    def weight_text(self) -> str:
        return _weight_text(self.weight)

    @property
    def hidden_note(self) -> str:
        return f"（不足 {self.min_shown} 票，不单独显示）"


@dataclass(frozen=True)
class GroupScore:
    """One reporter's grades from one voter group."""

    group: GroupInfo
    counts: Counts
    mean: Fraction | None  # mean points of the valid grades; None: no valid grade, the group drops out
    used_weight: Fraction | None  # percent actually applied (re-normalised when a group dropped out)

    @property
    def name(self) -> str:
        return self.group.name

    @property
    def hidden(self) -> bool:
        return self.group.hidden

    @property
    def dropped(self) -> bool:
        return self.mean is None

    @property
    def score(self) -> Decimal | None:
        return None if self.mean is None else to_decimal(self.mean)

    @property
    def score_display(self) -> str:
        return show(self.mean)

    @property
    def good_rate_display(self) -> str:
        return show_percent(self.counts.good_rate())

    @property
    def used_weight_display(self) -> str:
        if self.used_weight is not None and self.used_weight == Fraction(self.group.weight):
            return _weight_text(self.group.weight)  # not re-normalised: the scheme's own figure
        return show(self.used_weight, 2, "%")

    @property
    def contribution(self) -> Fraction | None:
        if self.mean is None or self.used_weight is None:
            return None
        return self.mean * self.used_weight / _HUNDRED


@dataclass(frozen=True)
class ItemTally:
    """One per-item grade (分项评价) of one reporter, over all groups."""

    name: str
    counts: Counts
    mean: Fraction | None

    @property
    def good_rate_display(self) -> str:
        return show_percent(self.counts.good_rate())

    @property
    def score_display(self) -> str:
        return show(self.mean)


@dataclass(frozen=True)
class LineTally:
    """Everything about one reporter position on the ballot."""

    position: int
    counts: Counts  # all groups together
    groups: tuple[GroupScore, ...]
    exact_score: Fraction | None  # None when nobody gave a valid grade
    weight_present: Fraction  # Σ scheme weight (percent) of the groups that have valid grades
    veto: bool
    items: tuple[ItemTally, ...]
    veto_share: Fraction

    @property
    def good_rate(self) -> Fraction | None:
        return self.counts.good_rate()

    @property
    def good_rate_decimal(self) -> Decimal | None:
        rate = self.good_rate
        return None if rate is None else to_decimal(rate)

    @property
    def good_rate_display(self) -> str:
        return show_percent(self.good_rate)

    @property
    def bad_share(self) -> Fraction | None:
        return Fraction(self.counts.bad, self.counts.valid) if self.counts.valid else None

    @property
    def bad_share_display(self) -> str:
        return show_percent(self.bad_share)

    @property
    def score(self) -> Decimal | None:
        return None if self.exact_score is None else to_decimal(self.exact_score)

    @property
    def score_display(self) -> str:
        return show(self.exact_score)

    @property
    def dropped_groups(self) -> tuple[str, ...]:
        """Names of the groups without a valid grade for this reporter (their weight re-normalised away)."""
        return tuple(g.name for g in self.groups if g.dropped)

    @property
    def renormalised(self) -> bool:
        return self.exact_score is not None and bool(self.dropped_groups)

    def renormalisation_note(self) -> str:
        if not self.renormalised:
            return ""
        total = _weight_text(to_decimal(self.weight_present))
        parts = "，".join(
            f"{g.name} {_weight_text(g.group.weight)} ÷ {total} = {g.used_weight_display}"
            for g in self.groups if not g.dropped
        )
        return (f"{'、'.join(self.dropped_groups)}没有有效评价，不计入；"
                f"其余类别的权重按比例折算：{parts}")

    def formula(self) -> str:
        """The weighted sum with its inputs, e.g. '区委领导 92.50 × 20% + … = 88.13'."""
        if self.exact_score is None:
            return "没有有效评价（全部弃权），不计算测评得分"
        terms = []
        for g in self.groups:
            if g.dropped:
                continue
            value = g.group.hidden_note if g.hidden else f" {g.score_display}"
            terms.append(f"{g.name}{value} × {g.used_weight_display}")
        return " + ".join(terms) + f" = {self.score_display}"

    def veto_note(self) -> str:
        if self.bad_share is None:
            return "没有有效评价"
        share = self.veto_share
        return (f"差 {self.counts.bad} 票 ÷ 有效 {self.counts.valid} 票 = {self.bad_share_display}，"
                f"{'超过' if self.veto else '未超过'} {share.numerator}/{share.denominator}")


def _weight_text(weight: Decimal) -> str:
    return f"{weight.normalize():f}%"


@dataclass(frozen=True)
class Tally:
    grade_labels: tuple[str, ...]
    points: tuple[Decimal, ...]
    groups: tuple[GroupInfo, ...]
    min_group_size_shown: int
    veto_enabled: bool
    veto_share: Fraction
    item_names: tuple[str, ...]
    n_ballots: int
    n_blank: int  # ballots with every overall grade 弃权
    lines: tuple[LineTally, ...]

    @property
    def veto_share_text(self) -> str:
        return f"{self.veto_share.numerator}/{self.veto_share.denominator}"

    @property
    def hidden_groups(self) -> tuple[GroupInfo, ...]:
        return tuple(g for g in self.groups if g.hidden)


def _columns(joined: str, width: int, n_columns: int) -> list[Counts]:
    """Per column of a block of equal-width rows joined into one string: the grade counts."""
    out = []
    for col in range(n_columns):
        column = joined[col::width]
        out.append(Counts(tuple(column.count(ch) for ch in GRADE_CHARS), column.count(ABSTAIN)))
    return out


def tally(
    scheme: dict[str, Any],
    n_lines: int,
    ballots: Iterable[Sequence[Any]],
    item_names: Sequence[str] = (),
) -> Tally:
    """Count `ballots` ((group, grades) or (group, grades, item_grades) rows) under `scheme`.

    Raises ValueError for a ballot that does not fit (unknown group, wrong length, unknown grade)."""
    voter_groups = scheme["voter_groups"]
    weights = [Decimal(str(g["weight"])) for g in voter_groups]
    points = [Fraction(Decimal(str(g["points"]))) for g in scheme["ballot_grades"]]
    if len(points) != len(GRADE_CHARS):
        raise ValueError("测评等次应为 4 个：好、较好、一般、差")
    min_shown = int(scheme["min_group_size_shown"])
    veto_enabled = bool(scheme.get("veto_enabled", True))
    share = parse_share(scheme["veto_bad_share"])
    n_items = len(item_names)
    item_width = n_lines * n_items

    grades_by_group: list[list[str]] = [[] for _ in voter_groups]
    items_by_group: list[list[str]] = [[] for _ in voter_groups]
    for row in ballots:
        group = row[0]
        if not (isinstance(group, int) and 0 <= group < len(grades_by_group)):
            raise ValueError(f"选票的测评人员类别 {group!r} 不在方案中")
        grades_by_group[group].append(row[1])
        if n_items:
            items_by_group[group].append((row[2] if len(row) > 2 else "") or ABSTAIN * item_width)

    blank = ABSTAIN * n_lines
    per_group: list[list[Counts]] = []
    per_item: list[list[Counts]] = []
    n_blank = 0
    for g, strings in enumerate(grades_by_group):
        joined = "".join(strings)
        if len(joined) != n_lines * len(strings):
            bad = next(s for s in strings if len(s) != n_lines)
            raise ValueError(f"选票应有 {n_lines} 项评价，有一张为 {len(bad)} 项")
        cols = _columns(joined, n_lines, n_lines) if strings else [Counts((0,) * 4, 0)] * n_lines
        if sum(c.total for c in cols) != len(joined):
            raise ValueError("选票中有无法识别的评价代码")
        per_group.append(cols)
        n_blank += strings.count(blank)
        if n_items:
            ijoined = "".join(items_by_group[g])
            if len(ijoined) != item_width * len(strings):
                raise ValueError(f"分项评价应有 {item_width} 项")
            per_item.append(_columns(ijoined, item_width, item_width) if strings
                            else [Counts((0,) * 4, 0)] * item_width)

    infos = tuple(
        GroupInfo(index=i, name=str(g["name"]), weight=weights[i], ballots=len(grades_by_group[i]),
                  hidden=len(grades_by_group[i]) < min_shown, min_shown=min_shown)
        for i, g in enumerate(voter_groups)
    )

    lines = []
    for pos in range(n_lines):
        group_counts = [per_group[g][pos] for g in range(len(infos))]
        means = [c.mean(points) for c in group_counts]
        present = sum((Fraction(infos[g].weight) for g, m in enumerate(means) if m is not None), Fraction(0))
        scores = tuple(
            GroupScore(group=infos[g], counts=group_counts[g], mean=m,
                       used_weight=None if m is None else Fraction(infos[g].weight) * _HUNDRED / present)
            for g, m in enumerate(means)
        )
        exact = None
        if present:
            exact = sum((Fraction(infos[g].weight) * m for g, m in enumerate(means) if m is not None),
                        Fraction(0)) / present
        total = Counts((0,) * 4, 0)
        for c in group_counts:
            total = total + c
        items = []
        for k, name in enumerate(item_names):
            ic = Counts((0,) * 4, 0)
            for g in range(len(infos)):
                ic = ic + per_item[g][pos * n_items + k]
            items.append(ItemTally(name=name, counts=ic, mean=ic.mean(points)))
        veto = veto_enabled and total.valid > 0 and Fraction(total.bad, total.valid) > share
        lines.append(LineTally(position=pos, counts=total, groups=scores, exact_score=exact,
                               weight_present=present, veto=veto, items=tuple(items), veto_share=share))

    return Tally(
        grade_labels=tuple(str(g["label"]) for g in scheme["ballot_grades"]),
        points=tuple(Decimal(str(g["points"])) for g in scheme["ballot_grades"]),
        groups=infos,
        min_group_size_shown=min_shown,
        veto_enabled=veto_enabled,
        veto_share=share,
        item_names=tuple(item_names),
        n_ballots=sum(len(s) for s in grades_by_group),
        n_blank=n_blank,
        lines=tuple(lines),
    )


def _dec_str(value: Fraction | None) -> str | None:
    return None if value is None else str(to_decimal(value))


def _counts_data(c: Counts, labels: Sequence[str]) -> dict[str, Any]:
    return {"grades": dict(zip(labels, c.grades, strict=True)), "abstain": c.abstain, "valid": c.valid,
            "good_rate": _dec_str(c.good_rate())}


def as_data(t: Tally, line_names: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The tally as JSON-ready data: every number that is not a count is a Decimal string
    (28 significant digits, exact when it terminates), plus 2-place half-up display strings."""
    labels = t.grade_labels
    lines = []
    for ln in t.lines:
        groups = []
        for g in ln.groups:
            row: dict[str, Any] = {"group": g.group.index, "name": g.name, "weight": str(g.group.weight),
                                   "ballots": g.group.ballots, "hidden": g.hidden, "dropped": g.dropped,
                                   "used_weight": _dec_str(g.used_weight)}
            # A hidden group's breakdown is withheld here as on the page; it still counts in the score.
            if not g.hidden:
                row["counts"] = _counts_data(g.counts, labels)
                row["score"] = _dec_str(g.mean)
                row["score_display"] = g.score_display
            groups.append(row)
        line: dict[str, Any] = {
            "position": ln.position,
            "counts": _counts_data(ln.counts, labels),
            "good_rate_display": ln.good_rate_display,
            "score": _dec_str(ln.exact_score),
            "score_display": ln.score_display if ln.exact_score is not None else None,
            "formula": ln.formula(),
            "renormalised": ln.renormalised,
            "dropped_groups": list(ln.dropped_groups),
            "renormalisation_note": ln.renormalisation_note(),
            "weight_present": _dec_str(ln.weight_present),
            "bad_share": _dec_str(ln.bad_share),
            "veto": ln.veto,
            "veto_note": ln.veto_note(),
            "groups": groups,
            "items": [{"name": it.name, "counts": _counts_data(it.counts, labels), "score": _dec_str(it.mean)}
                      for it in ln.items],
        }
        if line_names is not None:
            line.update(line_names[ln.position])
        lines.append(line)
    return {
        "grade_labels": list(labels),
        "points": [str(p) for p in t.points],
        "groups": [{"index": g.index, "name": g.name, "weight": str(g.weight), "ballots": g.ballots,
                    "hidden": g.hidden} for g in t.groups],
        "min_group_size_shown": t.min_group_size_shown,
        "veto_enabled": t.veto_enabled,
        "veto_share": t.veto_share_text,
        "items": list(t.item_names),
        "ballots": t.n_ballots,
        "blank_ballots": t.n_blank,
        "lines": lines,
    }
