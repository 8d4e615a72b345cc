"""材料雷同: shared passages between reports, found by character shingles, an inverted index and run extension.

Pure (no Django models), so it is tested and benchmarked by itself; shuping/speeches/checks.py feeds it the
campaign's reports.

1. Normalise: keep letters and digits only (Chinese characters included), full-width ASCII → half-width,
   ASCII lower case; punctuation and whitespace go, so "一是，加强" and "一是加强" read the same. A map keeps
   each kept character's offset in the original text, so passages are highlighted in the text as written.
2. Shingle: every run of K (13) normalised characters, hashed (Python's str hash: fixed within a process).
3. Count in how many documents each shingle occurs. A shingle found in at least 3 documents and in more than
   `boilerplate_share` (30 %) of them is template text (the genre's stock phrases, a mandated outline), not
   copying: it never makes a passage. Shingles found in one document only are dropped.
4. Inverted index of what is left: only document pairs sharing a shingle are ever looked at, and only pairs
   of an allowed kind — two different units' reports of this year (与其他单位), or a unit's report of this year
   and its own report of last year (与本单位上年).
5. Extend: a pair's shared shingles are grouped by diagonal (offset in a − offset in b); consecutive
   positions on one diagonal merge into one maximal common run of K + m − 1 characters (checked character by
   character, so a hash collision never shows as a passage).
6. Score: the share of each report's normalised characters covered by the pair's passages (cover_a,
   cover_b); the pair's score is the larger, so a short report copied whole into a longer one still ranks
   high. Decimal, rounded to 0.1 %.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import compress

SHINGLE = 13  # characters: shorter runs are the genre's common phrases (坚持以人民为中心 is 8)
BOILERPLATE_SHARE = Decimal("0.3")
BOILERPLATE_MIN_DOCS = 3  # two reports sharing a passage is copying however few reports there are

KIND_OTHER = "other"
KIND_LAST_YEAR = "last_year"
KIND_LABELS = {KIND_LAST_YEAR: "与本单位上年", KIND_OTHER: "与其他单位"}

_KEEP = re.compile(r"[^\W_]+")  # letters and digits of every script; not punctuation, space or "_"
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # full-width ASCII → ASCII, one character for one
_FOLD.update({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})
_FOLD.update({c: c + 32 - 0xFEE0 for c in range(0xFF21, 0xFF3B)})  # full-width A–Z → a–z
_PCT = Decimal("0.001")


@dataclass(frozen=True)
class Doc:
    """One report: `key` identifies it to the caller; `unit` is compared for equality only; `current` is
    True for this year's reports and False for last year's."""

    key: Hashable
    text: str
    unit: Hashable
    current: bool = True


@dataclass(frozen=True)
class Passage:
    """A maximal shared run: [a_start, a_end) in a's original text, [b_start, b_end) in b's; `length` in
    normalised characters (what the score counts)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    length: int


@dataclass
class Pair:
    a: Hashable  # this year's report (for 与本单位上年: this year's; b is last year's)
    b: Hashable
    kind: str
    cover_a: Decimal  # share of a's characters in passages, 0–1
    cover_b: Decimal
    passages: list[Passage] = field(default_factory=list)

    @property
    def score(self) -> Decimal:
        return max(self.cover_a, self.cover_b)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class Result:
    pairs: list[Pair]  # by score, highest first
    n_docs: int
    boilerplate_shingles: int  # distinct shingles treated as template text


@dataclass
class _Norm:
    text: str  # normalised
    offsets: list[int]  # offsets[i] = where normalised character i is in the original text


def normalise(text: str) -> _Norm:
    pieces: list[str] = []
    offsets: list[int] = []
    for m in _KEEP.finditer(text):
        pieces.append(m.group())
        offsets.extend(range(m.start(), m.end()))
    return _Norm("".join(pieces).translate(_FOLD), offsets)


def _covered(intervals: Iterable[tuple[int, int]]) -> int:
    total, end = 0, -1
    for s, e in sorted(intervals):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(_PCT, ROUND_HALF_UP) if whole else Decimal(0)


def _kind(a: Doc, b: Doc) -> str | None:
    if a.current and b.current:
        return KIND_OTHER if a.unit != b.unit else None
    if a.current != b.current and a.unit == b.unit:
        return KIND_LAST_YEAR
    return None


def compare(docs: Sequence[Doc], k: int = SHINGLE, boilerplate_share: Decimal = BOILERPLATE_SHARE,
            min_score: Decimal = Decimal(0)) -> Result:
    """Every allowed pair of `docs` that shares at least one passage of ≥ k characters and scores at least
    `min_score`, highest score first."""
    norms = [normalise(d.text) for d in docs]
    hashes = [[hash(n.text[i:i + k]) for i in range(len(n.text) - k + 1)] for n in norms]
    df: Counter[int] = Counter()
    for hs in hashes:
        df.update(set(hs))
    limit = max(BOILERPLATE_MIN_DOCS - 1, int(boilerplate_share * len(docs)))  # boilerplate when df > limit
    boilerplate = sum(1 for c in df.values() if c > limit)

    # Inverted index of the shingles worth looking at: hash → [(doc, position)], this year's and last year's apart.
    # `shareable[d][pos]` is 1 where d's shingle is neither template nor unique; a run stops at the first 0.
    shared = {h for h, c in df.items() if 1 < c <= limit}
    current: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    previous: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    shareable: list[bytes] = []
    for d, hs in enumerate(hashes):
        flags = bytes([h in shared for h in hs]) + b"\0"
        shareable.append(flags)
        index = current if docs[d].current else previous
        for pos, h in compress(enumerate(hs), flags):
            index[h].append((d, pos))

    def continues(h: int) -> bool:
        """Whether every occurrence of h directly follows an occurrence of one same shingle h′ whose
        occurrences are exactly these shifted by one: then every seed of h extends a run seeded at h′, and
        h needs no pairs of its own (a shared sentence is enumerated once, not once per character)."""
        plist = current.get(h, []) + previous.get(h, [])
        d0, p0 = plist[0]
        if p0 == 0:
            return False
        before = hashes[d0][p0 - 1]
        if len(current.get(before, ())) + len(previous.get(before, ())) != len(plist):
            return False
        return all(p > 0 and hashes[d][p - 1] == before for d, p in plist)

    # Seeds of each allowed pair: this year × this year (other units), this year × the same unit's last year.
    units = [d.unit for d in docs]
    seeds: defaultdict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for h, plist in current.items():
        old = previous.get(h)
        if len(plist) + len(old or ()) < 2 or continues(h):
            continue
        n = len(plist)
        for x in range(n):
            da, pa = plist[x]
            ua = units[da]
            for y in range(x + 1, n):
                db, pb = plist[y]
                if units[db] != ua:
                    seeds[(da, db)].append((pa, pb))
        if old:
            for da, pa in plist:
                ua = units[da]
                for db, pb in old:
                    if units[db] == ua:
                        seeds[(da, db)].append((pa, pb))

    pairs = []
    for (da, db), pts in seeds.items():
        pair = _extend(docs, norms, shareable[da], da, db, pts, k)
        if pair.passages and pair.score >= min_score:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, -len(p.passages), str(p.a), str(p.b)))
    return Result(pairs=pairs, n_docs=len(docs), boilerplate_shingles=boilerplate)


def _common_prefix(x: str, i: int, y: str, j: int, cap: int) -> int:
    """Length of the common prefix of x[i:] and y[j:], at most `cap`: slices compared in growing steps."""
    done, step = 0, 16
    while done < cap:
        n = min(step, cap - done)
        if x[i + done:i + done + n] == y[j + done:j + done + n]:
            done += n
            step *= 2
        elif n == 1:
            break
        else:
            step = n // 2
    return done


def _extend(docs: Sequence[Doc], norms: Sequence[_Norm], shareable: bytes, da: int, db: int,
            pts: list[tuple[int, int]], k: int) -> Pair:
    """Grow each seed along its diagonal while the characters agree and a's shingles stay shareable (not
    template): a maximal common run. Seeds inside a run already found are skipped."""
    a, b = norms[da], norms[db]
    runs: list[tuple[int, int, int]] = []  # (start in a, start in b, length), normalised characters
    pts.sort(key=lambda t: (t[0] - t[1], t[0]))
    diag, run_end = None, -1
    for pa, pb in pts:
        if pa - pb == diag and pa < run_end:
            continue
        stop = shareable.find(0, pa)  # the first shingle after pa that may not be shared
        cap = min(stop - pa + k - 1, len(a.text) - pa, len(b.text) - pb)
        n = _common_prefix(a.text, pa, b.text, pb, cap)
        if n < k:
            continue  # a hash collision, not a shared run
        runs.append((pa, pb, n))
        diag, run_end = pa - pb, pa + n - k + 1

    passages = [Passage(a.offsets[sa], a.offsets[sa + n - 1] + 1, b.offsets[sb], b.offsets[sb + n - 1] + 1, n)
                for sa, sb, n in runs]
    passages.sort(key=lambda p: (p.a_start, p.b_start))
    cover_a = _covered((sa, sa + n) for sa, _, n in runs)
    cover_b = _covered((sb, sb + n) for _, sb, n in runs)
    return Pair(a=docs[da].key, b=docs[db].key, kind=_kind(docs[da], docs[db]) or KIND_OTHER,
                cover_a=_share(cover_a, len(a.text)), cover_b=_share(cover_b, len(b.text)), passages=passages)


def percent(share: Decimal) -> str:
    """0.1234 → "12.3%"."""
    return f"{(share * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def segments(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, shared) pieces, shared where any of `spans` covers it (for highlighting)."""
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out: list[tuple[str, bool]] = []
    pos = 0
    for s, e in merged:
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < len(text):
        out.append((text[pos:], False))
    return out
