"""What the 考核结果 pages show: a stored sheet's outputs and inputs turned into table rows and explanations.

Reads only what the sheet stored (`outputs` = maths.as_data, `inputs["maths"]` and `inputs["details"]`):
no query, no recomputation, so a page shows exactly what was computed, reviewed and signed. Every number
is a `Num`: the 2-place half-up display and the exact value (for a title attribute).

`names=False` builds the reporter's own view: judge totals without judges' names, and nothing about any
other reporter but group averages and how many share their rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from shuping.campaigns.scheme import COMPONENTS
from shuping.results import maths

WHATS = ("judging", "ballot", "routine", "rectification", "composite", "rank", "grade")
TITLES = {**COMPONENTS, "composite": "综合得分", "rank": "名次", "grade": "等次"}
# Flags that must stand out on the page (the committee must act, or the grade is forced).
LOUD_FLAGS = ("quota_tie", "veto")
DROPPED = {"high": "去掉最高", "low": "去掉最低"}


@dataclass(frozen=True)
class Num:
    exact: str | None  # as stored: a Decimal string or "n/d"; None when there is no value
    display: str  # 2-place half-up, "—" when None

    @property
    def present(self) -> bool:
        return self.exact is not None

    @property
    def value(self) -> Fraction | None:
        return maths.exact(self.exact)

    def __str__(self) -> str:
        return self.display


def number(text: str | None) -> Num:
    value = maths.exact(text)
    return Num(exact=text, display=maths.num(value) if value is not None else "—")


@dataclass(frozen=True)
class Flag:
    code: str
    label: str

    @property
    def loud(self) -> bool:
        return self.code in LOUD_FLAGS


@dataclass
class TableRow:
    key: str
    rank: int
    unit: str
    secretary: str
    mode: str
    components: list[tuple[str, Num]]  # (component name, value) in COMPONENTS order
    composite: Num
    grade: str
    threshold_grade: str
    flags: list[Flag]
    notes: list[str]

    @property
    def has_loud_flag(self) -> bool:
        return any(f.loud for f in self.flags)

    @property
    def veto(self) -> bool:
        return any(f.code == "veto" for f in self.flags)

    @property
    def quota_tie(self) -> bool:
        return any(f.code == "quota_tie" for f in self.flags)


def _row_out(outputs: dict[str, Any], key: str) -> dict[str, Any]:
    for r in outputs.get("rows", []):
        if r["key"] == key:
            return r
    raise KeyError(key)


def has_row(sheet_outputs: dict[str, Any], key: str) -> bool:
    return any(r["key"] == key for r in sheet_outputs.get("rows", []))


def table(inputs: dict[str, Any], outputs: dict[str, Any]) -> list[TableRow]:
    details = inputs.get("details", {}).get("reporters", {})
    rows = []
    for r in outputs.get("rows", []):
        d = details.get(r["key"], {})
        rows.append(TableRow(
            key=r["key"], rank=r["rank"], unit=d.get("unit", r["key"]), secretary=d.get("secretary", ""),
            mode=d.get("mode", ""),
            components=[(c, number(r["components"][c]["value"])) for c in COMPONENTS],
            composite=number(r["composite"]), grade=r["grade"], threshold_grade=r["threshold_grade"],
            flags=[Flag(code=f, label=maths.FLAG_LABELS.get(f, f)) for f in r["flags"]],
            notes=list(r["notes"]),
        ))
    return rows


def averages(outputs: dict[str, Any]) -> list[tuple[str, Num]]:
    avg = outputs.get("averages", {})
    return [(c, number(avg.get(c))) for c in (*COMPONENTS, "composite")]


def quota_text(inputs: dict[str, Any], outputs: dict[str, Any]) -> str:
    percent = inputs.get("maths", {}).get("scheme", {}).get("quota_good_percent", "")
    return (f"“好”等次不超过 {outputs.get('quota', 0)} 人"
            f"（{outputs.get('n', 0)} 人 × {percent}%，取整）")


# ---------------------------------------------------------------- explanations

@dataclass
class Explanation:
    """One number and how it came about; `kind` picks the template branch."""

    kind: str
    title: str
    key: str
    unit: str
    value: Num | None = None
    data: dict[str, Any] = field(default_factory=dict)


def explain(inputs: dict[str, Any], outputs: dict[str, Any], key: str, what: str, *, names: bool = True,
            decisions: dict[str, dict[str, str]] | None = None) -> Explanation:
    """Explain row `key`'s `what` (one of WHATS). KeyError for an unknown row or `what`."""
    if what not in WHATS:
        raise KeyError(what)
    row = _row_out(outputs, key)
    details = inputs.get("details", {})
    d = details.get("reporters", {}).get(key, {})
    scheme = inputs.get("maths", {}).get("scheme", {})
    ex = Explanation(kind=what, title=TITLES[what], key=key, unit=d.get("unit", key))
    if what == "judging":
        ex.value = number(row["components"]["judging"]["value"])
        judges = details.get("judges", {})
        j = row["judging"]
        ex.data = {
            "entries": [{"name": judges.get(e["judge"], "") if names else "", "total": number(e["total"]),
                         "dropped": e["dropped"], "dropped_label": DROPPED.get(e["dropped"], "")}
                        for e in j["entries"]],
            "formula": j["formula"], "expected": j["judges_expected"], "submitted": len(j["entries"]),
            "k": j["k"], "trim_k": scheme.get("trim_k"), "trim_min_judges": scheme.get("trim_min_judges"),
            "written": d.get("mode") == "书面述职", "names": names,
        }
    elif what == "ballot":
        ex.value = number(row["components"]["ballot"]["value"])
        b = d.get("ballot")
        box = details.get("ballot", {}) or {}
        labels = details.get("grade_labels", [])
        ex.data = {"box": box.get("box"), "ballots": box.get("ballots"), "ballot": b,
                   "veto": row.get("veto", False)}
        if b is not None:
            ex.data["grades"] = list(zip(labels, b["grades"], strict=False))
            ex.data["good"] = " + ".join(f"{label} {n}" for label, n in list(zip(labels, b["grades"],
                                                                                   strict=False))[:2])
    elif what == "routine":
        ex.value = number(row["components"]["routine"]["value"])
        ex.data = {"source": d.get("routine_source", "")}
    elif what == "rectification":
        ex.value = number(row["components"]["rectification"]["value"])
    elif what == "composite":
        ex.value = number(row["composite"])
        ex.data = {
            "formula": row["composite_formula"],
            "parts": [{"name": c, "label": label, "value": number(row["components"][c]["value"]),
                       "weight": row["components"][c]["weight"],
                       "used_weight": number(row["components"][c]["used_weight"]),
                       "contribution": number(row["components"][c]["contribution"])}
                      for c, label in COMPONENTS.items()],
            "renormalised": "renormalised" in row["flags"],
        }
    elif what == "rank":
        ex.data = _rank(outputs, row, d, details, names=names)
    elif what == "grade":
        decision = (decisions or {}).get(key)
        ex.data = {
            "grade": row["grade"], "threshold_grade": row["threshold_grade"], "notes": row["notes"],
            "flags": [Flag(code=f, label=maths.FLAG_LABELS.get(f, f)) for f in row["flags"]],
            "thresholds": [(g, number(v)) for g, v in outputs.get("thresholds", {}).items()],
            "quota": quota_text(inputs, outputs), "decision": decision,
            "veto_share": scheme.get("veto_bad_share"), "veto_enabled": scheme.get("veto_enabled", True),
        }
    return ex


def _rank(outputs: dict[str, Any], row: dict[str, Any], d: dict[str, Any], details: dict[str, Any], *,
          names: bool) -> dict[str, Any]:
    """Who shares the composite, and what separated them: a tie-break (first differing) or nothing (并列)."""
    tie_breaks = outputs.get("tie_breaks", [])
    composite = maths.exact(row["composite"])
    lines = []
    same = [r for r in outputs.get("rows", []) if r["key"] != row["key"] and composite is not None
            and maths.exact(r["composite"]) == composite]
    for other in same:
        unit = details.get("reporters", {}).get(other["key"], {}).get("unit", other["key"]) if names else "另一人"
        decided = ""
        for t in tie_breaks:
            mine, theirs = (maths.exact(row["components"][t]["value"]), maths.exact(other["components"][t]["value"]))
            if mine != theirs:
                ahead = other["rank"] > row["rank"]
                if names:
                    decided = (f"按{COMPONENTS[t]}比较：{number(row['components'][t]['value'])} 对 "
                               f"{number(other['components'][t]['value'])}，排在其{'前' if ahead else '后'}")
                else:
                    decided = f"按{COMPONENTS[t]}比较决定先后，排在其{'前' if ahead else '后'}"
                break
        if not decided and tie_breaks:
            decided = f"{'、'.join(COMPONENTS[t] for t in tie_breaks)}也都相同，并列第 {row['rank']} 名"
        elif not decided:
            decided = f"本方案综合得分相同时不再比较，并列第 {row['rank']} 名"
        lines.append({"unit": unit, "decided": decided, "shared": other["rank"] == row["rank"]})
    return {
        "rank": row["rank"], "n": outputs.get("n", 0), "composite": number(row["composite"]),
        "tie_breaks": [COMPONENTS[t] for t in tie_breaks], "ties": lines,
        "shared": sum(1 for r in outputs.get("rows", []) if r["rank"] == row["rank"]) - 1,
        "no_score": row["composite"] is None,
    }


def explain_average(outputs: dict[str, Any], inputs: dict[str, Any], name: str) -> Explanation:
    """The group average of a component (or "composite"): which values went in, divided by how many."""
    if name not in (*COMPONENTS, "composite"):
        raise KeyError(name)
    details = inputs.get("details", {}).get("reporters", {})
    values = []
    for r in outputs.get("rows", []):
        text = r["composite"] if name == "composite" else r["components"][name]["value"]
        values.append({"unit": details.get(r["key"], {}).get("unit", r["key"]), "value": number(text)})
    present = [v["value"] for v in values if v["value"].present]
    avg = number(outputs.get("averages", {}).get(name))
    formula = (f"({' + '.join(v.display for v in present)}) ÷ {len(present)} = {avg.display}" if present
               else "没有任何述职对象有此项得分")
    return Explanation(kind="average", title=f"{TITLES[name]} 组平均", key="", unit="", value=avg,
                       data={"values": values, "formula": formula, "name": name})
