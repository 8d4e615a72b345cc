"""Writing hints for a 述职报告: word counts and the 1/3-1/3-1/3 balance (no Django models here).

Official practice asks a report to spend roughly a third each on achievements (履职情况和成效), problems
(存在问题 + 原因分析) and measures (下步思路). These are hints only: nothing is refused because of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Which sections make up each third.
PARTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("achievements", "成绩", ("performance",)),
    ("problems", "问题", ("problems", "causes")),
    ("measures", "措施", ("plans",)),
]
# A share below LOW or above HIGH percent gets a gentle note.
LOW, HIGH = 20, 50


def word_count(text: str) -> int:
    """字数 as Chinese offices count it: every character that is not white space."""
    return sum(1 for ch in text if not ch.isspace())


@dataclass
class Share:
    key: str
    label: str
    words: int
    percent: int


@dataclass
class Hints:
    counts: dict[str, int]
    total: int
    shares: list[Share] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"counts": self.counts, "total": self.total, "notes": self.notes,
                "shares": [{"key": s.key, "label": s.label, "words": s.words, "percent": s.percent}
                           for s in self.shares]}


def hints(sections: dict[str, str], answers: list[str] | None = None) -> Hints:
    """Counts per section (answers to last year's problems count towards 上年度问题整改情况) and the balance."""
    counts = {k: word_count(v or "") for k, v in sections.items()}
    if answers:
        counts["rectification"] = counts.get("rectification", 0) + sum(word_count(a) for a in answers)
    total = sum(counts.values())
    part_words = [(key, label, sum(counts.get(s, 0) for s in secs)) for key, label, secs in PARTS]
    base = sum(w for _, _, w in part_words)
    result = Hints(counts=counts, total=total)
    if base == 0:
        return result
    for key, label, words in part_words:
        # Integer percent, rounded half up; a hint, not a score.
        result.shares.append(Share(key, label, words, (words * 200 + base) // (base * 2)))
    for s in result.shares:
        if s.percent < LOW:
            result.notes.append(f"“{s.label}”部分约占 {s.percent}%，偏少")
        elif s.percent > HIGH:
            result.notes.append(f"“{s.label}”部分约占 {s.percent}%，偏多")
    if result.notes:
        result.notes.append("一般建议成绩、问题、措施大致各占三分之一，仅供参考")
    return result
