"""Drafts assembled from facts and phrases: the per-reporter 点评 (亮点 → 问题 → 建议) and the closing speech
outline (开头 → 总体成效 → 共性问题 → 下步要求 → 结尾). Pure: no Django models; the facts come from
shuping.speeches.facts, the phrases from the Phrase table (as `PhraseBook`).

Every sentence that states a fact carries its sources (label and link); phrase sentences carry none. The same
draft renders as HTML with superscript source links and as plain text (for the chair's pad and the .docx).
Phrases are picked in turn, starting at an offset from the reporter, so two reporters rarely get the same words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from shuping.core.numerals import chinese_number
from shuping.rectification.categories import CATEGORIES, LABELS

_PLACEHOLDER = re.compile(r"\{(fact|unit|name|count|year)\}")
# Enumeration markers at the start of an item: 一是 / 二要 / 第一， / 1. / 1、 / （一） / (1) / 一、
_MARKER = re.compile(r"^\s*(?:[一二三四五六七八九十]+[是要]|第[一二三四五六七八九十]+[，,、]?|\d+[.．、]|"
                     r"[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|比如[，,]?)\s*")
_SENTENCE_END = re.compile(r"(?<=[。！？；;!?])|\n")


@dataclass(frozen=True)
class Source:
    label: str
    url: str


@dataclass(frozen=True)
class Sentence:
    text: str
    sources: tuple[Source, ...] = ()


@dataclass
class Section:
    key: str
    heading: str
    sentences: list[Sentence] = field(default_factory=list)


@dataclass
class Draft:
    title: str
    sections: list[Section]
    notes: list[str] = field(default_factory=list)  # what was left out and why (shown, not part of the text)
    paragraphs: bool = False  # one paragraph per sentence (the outline) rather than per section (a 点评)

    def plain_text(self) -> str:
        parts = []
        joiner = "\n" if self.paragraphs else ""
        for s in self.sections:
            if s.sentences:
                parts.append(f"{s.heading}\n{joiner.join(x.text for x in s.sentences)}")
        return "\n".join(parts)

    def numbered(self) -> list[tuple[Section, list[tuple[Sentence, list[tuple[int, Source]]]]]]:
        """Sections with each sentence's sources numbered in order of appearance (for superscripts)."""
        seen: dict[Source, int] = {}
        out = []
        for s in self.sections:
            rows = []
            for x in s.sentences:
                refs = []
                for src in x.sources:
                    if src not in seen:
                        seen[src] = len(seen) + 1
                    refs.append((seen[src], src))
                rows.append((x, refs))
            out.append((s, rows))
        return out

    def sources(self) -> list[tuple[int, Source]]:
        seen: dict[Source, int] = {}
        for s in self.sections:
            for x in s.sentences:
                for src in x.sources:
                    seen.setdefault(src, len(seen) + 1)
        return [(n, s) for s, n in seen.items()]

    def as_data(self) -> dict:
        return {"title": self.title, "text": self.plain_text(), "notes": self.notes,
                "sections": [{"key": s.key, "heading": s.heading,
                              "sentences": [{"text": x.text, "sources": [{"label": r.label, "url": r.url}
                                                                         for r in x.sources]}
                                            for x in s.sentences]}
                             for s in self.sections]}


# --- phrases -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PhraseBook:
    """Active phrases by (slot, category), in library order."""

    by_key: dict[tuple[str, str], tuple[str, ...]]

    @classmethod
    def of(cls, rows: Sequence[tuple[str, str, str]]) -> PhraseBook:
        by: dict[tuple[str, str], list[str]] = {}
        for slot, category, text in rows:
            by.setdefault((slot, category or ""), []).append(text)
        return cls({k: tuple(v) for k, v in by.items()})

    def pick(self, slot: str, seed: int, category: str = "", general: bool = True) -> str | None:
        """The phrase `seed` (mod count) of the slot and category; the general ones when the category has none."""
        options = self.by_key.get((slot, category), ())
        if not options and category and general:
            options = self.by_key.get((slot, ""), ())
        return options[seed % len(options)] if options else None

    def take(self, slot: str, seed: int, n: int, category: str = "") -> list[str]:
        options = self.by_key.get((slot, category), ())
        return [options[(seed + i) % len(options)] for i in range(min(n, len(options)))]


def fill(phrase: str, **values: object) -> str:
    """Fill the known placeholders a value was given for; anything else stays as written."""
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), phrase)


# --- reading facts out of a report section -----------------------------------------------------------

def sentences_of(text: str) -> list[str]:
    """The sentences of a section, enumeration markers and end punctuation stripped."""
    out = []
    for raw in _SENTENCE_END.split(text or ""):
        s = _MARKER.sub("", raw.strip())
        s = s.strip().rstrip("。！？；;!?，,、 ")
        if s:
            out.append(s)
    return out


def key_sentences(text: str, n: int, shortest: int = 8, longest: int = 70) -> list[str]:
    """Up to `n` sentences worth quoting, in their order: those with figures first, then the others that fit."""
    candidates = [s for s in sentences_of(text) if shortest <= len(s) <= longest]
    with_figures = [s for s in candidates if re.search(r"\d", s)]
    chosen = with_figures[:n]
    for s in candidates:
        if len(chosen) >= n:
            break
        if s not in chosen:
            chosen.append(s)
    return [s for s in candidates if s in chosen]


def percent(value: Decimal, places: str = "0.1") -> str:
    return f"{(value * 100).quantize(Decimal(places), ROUND_HALF_UP)}%"


def points(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


# --- facts (filled by shuping.speeches.facts) --------------------------------------------------------

@dataclass(frozen=True)
class Snippet:
    text: str
    source: Source
    category: str | None = None


@dataclass(frozen=True)
class EntryFact:
    problem: str
    category: str
    state_label: str
    closed: bool
    year: int | None
    deadline: str  # YYYY-MM-DD or ""
    overdue: bool
    source: Source


@dataclass(frozen=True)
class GoodRate:
    year: int
    rate: Decimal  # (好+较好)/valid, exact
    valid: int
    source: Source


@dataclass(frozen=True)
class IndicatorFact:
    name: str
    average: Decimal
    max_points: Decimal
    sheets: int
    source: Source

    @property
    def ratio(self) -> Decimal:
        return self.average / self.max_points if self.max_points else Decimal(0)


@dataclass
class ReporterFacts:
    participant_id: int
    unit: str
    name: str
    performance: list[Snippet] = field(default_factory=list)
    own_problems: list[Snippet] = field(default_factory=list)
    open_entries: list[EntryFact] = field(default_factory=list)
    closed_entries: list[EntryFact] = field(default_factory=list)
    good_rate: GoodRate | None = None
    indicators: list[IndicatorFact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


GOOD_RATE_HIGH = Decimal("0.9")
INDICATOR_WEAK = Decimal("0.85")  # below this share of the maximum the weakest indicator is named a problem


def _quote(text: str, limit: int = 60) -> str:
    text = text.strip().rstrip("。；;，,")
    return text if len(text) <= limit else text[:limit] + "……"


def commentary_draft(f: ReporterFacts, book: PhraseBook) -> Draft:
    """The 点评 draft of one reporter: 亮点 from the report, closed ledger entries and a high 好评率; 问题 from the
    report's own problems, last year's open entries, the weakest indicator and a low 好评率; 建议 keyed to the
    categories of those problems."""
    seed = f.participant_id
    highlights = Section("highlights", "一、亮点")
    for i, s in enumerate(f.performance):
        phrase = book.pick("highlight", seed + i) or "“{fact}”。"
        highlights.sentences.append(Sentence(fill(phrase, fact=_quote(s.text, 70), unit=f.unit, name=f.name),
                                             (s.source,)))
    if f.closed_entries:
        names = "".join(f"“{_quote(e.problem, 30)}”" for e in f.closed_entries[:3])
        highlights.sentences.append(Sentence(
            f"上年度指出的{names}{'等' if len(f.closed_entries) > 3 else ''}"
            f"{len(f.closed_entries)}个问题已整改销号。", tuple(e.source for e in f.closed_entries)))
    rate = f.good_rate
    if rate is not None and rate.rate >= GOOD_RATE_HIGH:
        highlights.sentences.append(Sentence(
            f"{rate.year}年度民主测评好评率为{percent(rate.rate, '0.01')}，干部群众认可度较高。", (rate.source,)))

    problems = Section("problems", "二、问题")
    categories: list[str] = []

    def note_category(c: str | None) -> None:
        if c and c not in categories:
            categories.append(c)

    facts: list[Sentence] = []
    if f.own_problems:
        named = "".join(f"“{_quote(s.text)}”" for s in f.own_problems)
        facts.append(Sentence(f"报告自查出{named}{'等问题' if len(f.own_problems) > 1 else '的问题'}，"
                              "要拿出具体管用的措施。", tuple(dict.fromkeys(s.source for s in f.own_problems))))
        for s in f.own_problems:
            note_category(s.category)
    for e in f.open_entries:
        status = e.state_label
        if e.deadline:
            status += f"，整改时限{e.deadline}{'，已超期' if e.overdue else ''}"
        year = f"{e.year}年度" if e.year else "此前"
        facts.append(Sentence(f"{year}指出的“{_quote(e.problem, 50)}”问题至今未销号（{status}）。", (e.source,)))
        note_category(e.category)
    weakest = min(f.indicators, key=lambda x: x.ratio) if f.indicators else None
    if weakest is not None and weakest.ratio < INDICATOR_WEAK:
        facts.append(Sentence(
            f"评委评分中，“{weakest.name}”一项平均{points(weakest.average)}分（满分{points(weakest.max_points)}分，"
            f"得分率{percent(weakest.ratio)}），在各项指标中最低。", (weakest.source,)))
    if rate is not None and rate.rate < GOOD_RATE_HIGH:
        facts.append(Sentence(f"{rate.year}年度民主测评好评率为{percent(rate.rate, '0.01')}，干部群众的认可度还有提升空间。",
                              (rate.source,)))
    if facts:
        intro = book.pick("problems", seed)
        if intro:
            problems.sentences.append(Sentence(intro))
        problems.sentences.extend(facts)
        for i, c in enumerate(categories[:2]):
            analysis = book.pick("problem", seed + i, c, general=False)
            if analysis:
                problems.sentences.append(Sentence(f"从{LABELS[c]}方面看，{analysis}"))

    suggestions = Section("suggestions", "三、建议")
    used: list[str] = []
    for i, c in enumerate(categories[:3]):
        keyed = book.pick("suggestion", seed + i, c, general=False)
        if keyed and keyed not in used:
            used.append(keyed)
    for phrase in book.take("suggestion", seed, 3):
        if len(used) >= 3:
            break
        if phrase not in used:
            used.append(phrase)
    suggestions.sentences.extend(Sentence(fill(p, unit=f.unit, name=f.name)) for p in used)

    notes = list(f.notes)
    if not f.performance:
        notes.append("述职报告“履职情况和成效”未填写或没有可引用的句子，亮点部分请补充。")
    return Draft(f"对{f.unit}（{f.name}）述职的点评（草稿）", [highlights, problems, suggestions], notes)


# --- the closing speech outline ----------------------------------------------------------------------

@dataclass(frozen=True)
class UnitProblem:
    """A problem of one unit in a category, from the ledger or from a report's 存在问题."""

    unit: str
    category: str
    text: str
    source: Source


@dataclass
class ClosingFacts:
    campaign_id: int
    title: str
    year: int
    reporters: int
    grade_counts: list[tuple[str, int]] | None = None  # published results only
    average: Decimal | None = None
    results_source: Source | None = None
    highlights: list[tuple[str, Snippet]] = field(default_factory=list)  # (unit, sentence of its report)
    problems: list[UnitProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CommonProblem:
    category: str
    label: str
    units: tuple[str, ...]
    examples: tuple[UnitProblem, ...]  # one per unit, at most three

    @property
    def count(self) -> int:
        return len(self.units)


def common_problems(problems: Sequence[UnitProblem], examples: int = 3) -> list[CommonProblem]:
    """Categories ranked by how many units share them (then in the categories' own order)."""
    order = {code: i for i, (code, _) in enumerate(CATEGORIES)}
    by: dict[str, dict[str, UnitProblem]] = {}
    for p in problems:
        if p.category in LABELS:
            by.setdefault(p.category, {}).setdefault(p.unit, p)
    ranked = sorted(by.items(), key=lambda kv: (-len(kv[1]), order[kv[0]]))
    return [CommonProblem(c, LABELS[c], tuple(units), tuple(list(units.values())[:examples]))
            for c, units in ranked]


def closing_outline(f: ClosingFacts, book: PhraseBook) -> Draft:
    seed = f.campaign_id
    opening = Section("opening", "开头")
    opening.sentences.append(Sentence("同志们："))
    opening.sentences.extend(Sentence(fill(p, count=f.reporters, year=f.year)) for p in book.take("opening", seed, 2))

    achievements = Section("achievements", "一、总体成效")
    intro = book.pick("achievements", seed)
    if intro:
        achievements.sentences.append(Sentence(fill(intro, year=f.year)))
    if f.grade_counts is not None and f.results_source is not None:
        counts = "、".join(f"“{g}”{n}个" for g, n in f.grade_counts if n)
        avg = f"，综合得分平均{points(f.average)}分" if f.average is not None else ""
        achievements.sentences.append(Sentence(
            f"{f.year}年度参加述职评议的{f.reporters}个单位中，评定为{counts or '（无）'}{avg}。", (f.results_source,)))
    for i, (unit, s) in enumerate(f.highlights):
        achievements.sentences.append(Sentence(f"{chinese_number(i + 1)}是{unit}{_quote(s.text)}。", (s.source,)))

    ranked = common_problems(f.problems)
    problems = Section("problems", "二、存在的共性问题")
    if ranked:
        intro = book.pick("problems", seed)
        if intro:
            problems.sentences.append(Sentence(intro))
    for i, cp in enumerate(ranked):
        phrase = book.pick("problem", seed, cp.category) or ""
        examples = "、".join(e.unit for e in cp.examples)
        more = "等" if cp.count > len(cp.examples) else ""
        problems.sentences.append(Sentence(
            f"（{chinese_number(i + 1)}）{cp.label}方面（{cp.count}个单位）。{phrase}如{examples}{more}。",
            tuple(e.source for e in cp.examples)))

    requirements = Section("requirements", "三、下步工作要求")
    used: list[str] = []
    for cp in ranked:
        keyed = book.pick("suggestion", seed, cp.category, general=False)
        if keyed and keyed not in used:
            used.append(keyed)
    for phrase in book.take("suggestion", seed, 3):
        if len(used) >= max(3, len(ranked)):
            break
        if phrase not in used:
            used.append(phrase)
    requirements.sentences.extend(Sentence(f"第{chinese_number(i + 1)}，{fill(p, year=f.year)}") for i, p in enumerate(used))

    closing = Section("closing", "结尾")
    last = book.pick("closing", seed)
    if last:
        closing.sentences.append(Sentence(fill(last, year=f.year)))
    return Draft(f"{f.title}总结讲话提纲", [opening, achievements, problems, requirements, closing], list(f.notes),
                 paragraphs=True)


def closing_docx(draft: Draft) -> bytes:
    """The outline as an editable .docx in the official layout of the meeting documents (meetings.docs)."""
    from shuping.meetings import docs  # layout helpers (python-docx); imported here to keep this module light

    doc = docs.new_document()
    docs.title(doc, draft.title)
    for section in draft.sections:
        if not section.sentences:
            continue
        if section.key not in ("opening", "closing"):
            docs.heading(doc, section.heading)
        for s in section.sentences:
            docs.para(doc, s.text, indent=s.text != "同志们：")
    return docs.to_bytes(doc)
