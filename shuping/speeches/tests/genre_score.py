"""Scoring the reader against speeches whose parts and items were written down by hand (issue 14).

Each example is NAME.txt (the speech) beside NAME.json: {"note", "parts": [kinds in order], "achievements":
[...], "problems": [...], "requirements": [...]}, each item {"starts", "ends"[, "category"]}: the words the item's
text (marker left out) starts and ends with, trailing punctuation ignored. `genre/` holds the examples the rules
were built on; `heldout/` was written before the rules changed and is never tuned on.

The figures are the issue's: of the items written down, how many the reader found in the right part at the right
position ("in place"), how many allowing extra items around them (in order, as a common subsequence), and how
many items it returned that are not written down ("extra"). Only achievements, problems and requirements count.

    .venv/bin/python -m shuping.speeches.tests.genre_score [genre|heldout]   # prints the table
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shuping.speeches.reading import Item, Reading, read

HERE = Path(__file__).resolve().parent
COUNTED = ("achievements", "problems", "requirements")
TRAILING = " \n。；;，,：:！!"


@dataclass
class Example:
    name: str
    text: str
    expected: dict[str, Any]


@dataclass
class Score:
    expected: int = 0
    in_place: int = 0
    in_order: int = 0
    extra: int = 0
    categories: int = 0  # problems found in order whose category is the one written down
    categories_expected: int = 0
    kinds_right: bool = True

    def add(self, other: Score) -> None:
        for f in ("expected", "in_place", "in_order", "extra", "categories", "categories_expected"):
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.kinds_right = self.kinds_right and other.kinds_right

    @property
    def perfect(self) -> bool:
        return (self.kinds_right and self.in_place == self.expected and self.extra == 0
                and self.categories == self.categories_expected)


def examples(folder: str) -> list[Example]:
    out = []
    for txt in sorted((HERE / folder).glob("*.txt")):
        out.append(Example(txt.stem, txt.read_text(encoding="utf-8"),
                           json.loads(txt.with_suffix(".json").read_text(encoding="utf-8"))))
    return out


def matches(want: dict[str, Any], item: Item) -> bool:
    text = item.text.strip(TRAILING)
    return text.startswith(want["starts"].strip(TRAILING)) and text.endswith(want["ends"].strip(TRAILING))


def _in_order(wanted: list[dict[str, Any]], found: list[Item]) -> list[tuple[int, int]]:
    """The longest list of (wanted index, found index) pairs that match, both in increasing order."""
    n, m = len(wanted), len(found)
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1],
                             best[i + 1][j + 1] + 1 if matches(wanted[i], found[j]) else 0)
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if matches(wanted[i], found[j]) and best[i][j] == best[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def score(example: Example, reading: Reading | None = None) -> Score:
    reading = reading or read(example.text)
    s = Score(kinds_right=reading.kinds == example.expected["parts"])
    for kind in COUNTED:
        wanted = example.expected.get(kind, [])
        found = [i for p in reading.parts if p.kind == kind for i in p.items]
        pairs = _in_order(wanted, found)
        s.expected += len(wanted)
        s.in_place += sum(1 for k, w in enumerate(wanted) if k < len(found) and matches(w, found[k]))
        s.in_order += len(pairs)
        s.extra += len(found) - len(pairs)
        for i, j in pairs:
            if "category" in wanted[i]:
                s.categories_expected += 1
                s.categories += found[j].category == wanted[i]["category"]
        s.categories_expected += sum(1 for k, w in enumerate(wanted) if "category" in w
                                     and k not in {i for i, _ in pairs})
    return s


def table(folder: str) -> tuple[list[tuple[str, Score]], Score]:
    rows = [(e.name, score(e)) for e in examples(folder)]
    total = Score()
    for _, s in rows:
        total.add(s)
    return rows, total


def main(argv: list[str]) -> None:
    for folder in argv or ["genre", "heldout"]:
        rows, total = table(folder)
        print(f"{folder}: {'name':<28} parts  in place  in order  extra  categories")
        for name, s in [*rows, ("total", total)]:
            print(f"  {name:<34} {'ok ' if s.kinds_right else 'NO '}   {s.in_place:>3}/{s.expected:<3}  "
                  f"{s.in_order:>3}/{s.expected:<3}  {s.extra:>4}   {s.categories:>3}/{s.categories_expected}")


if __name__ == "__main__":
    main(sys.argv[1:])
