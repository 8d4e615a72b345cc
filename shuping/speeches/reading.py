"""Reading a speech, a 点评 or a report's 存在问题 into structure (issues 7, 14). Pure: no Django models.

Contract (others call it):
    read(text, corrections=()) -> Reading  # text already decoded; corrections: a reviewer's Correction list
    decode(data, filename) -> str          # .txt (UTF-8 with/without BOM, GBK/GB18030) or .docx; ValueError else
    Reading.as_json() -> {"parts": [{"kind", "start", "end", "confidence", "reason", "items": [{"marker", "lead",
                          "text", "category", "category_reason", "start", "end", "marker_start", "confidence",
                          "reason", "children": [...]}]}]}
    problems(reading) -> list[Item]        # the problems part's top-level items
    categorise(text) -> str | None         # a category code from rectification.categories, or None

Offsets are character offsets into the text given to `read`; for every item text == source[start:end]. An item's
text is what follows its marker (the marker itself sits at [marker_start, start), e.g. "一是", "1.", "第一，");
items split out of one "存在……等问题" sentence have marker "". `children` are the item's own enumerated list
(1. 2. under 一是, 1. 2. 3. under 一、), same shape. `confidence` (0–1) says how sure the reading is, `reason`
which signal decided; below LOW the review page asks the reviewer to check that spot first.

How it reads (the genre, domain.md "How the speeches are built"):
1. The body: leading title lines and trailing web-page footers ("本文内容由互联网用户自发贡献", "上一篇" …) are
   cut off; nothing outside the body ends up in a part or an item.
2. Enumerated items: markers of every style (MARKERS) count only at the start of a clause (paragraph start or
   after 。！？；：，), outside quotation marks, and only as a sequence numbered from one (一是, 二是 …) — so
   "四个意识", "第一责任人", "统一是", "一、二线", "1.5倍" and placeholders (X县, xx, ***, *位同志) are never
   markers. Lists nest by position: a list inside one item of another list is that item's children.
3. Parts, in the genre's order opening → achievements → problems → requirements → closing (any may be missing),
   are chosen together, as the best order-keeping reading of the sentences (_viterbi), from two kinds of evidence:
   - signals (RULES): an announcement in the speaker's own voice ("在看到成绩的同时", "存在的差距和不足",
     "下面我讲几点意见", "提几点建议", "我点一些现象") opens a part wherever it stands; a lead ("一年来，…",
     "还有一些短板") counts fully only as a paragraph's first sentence; a heading ("二、清醒认识……存在的问题")
     opens the part it names and is its title, not an item. A sentence that reports someone else's words
     ("李处长……明确指出了不足和短板", "在讲话中提出了三点要求") or sits in quotation marks signals nothing.
   - what the content says (reads_as): each item's first sentence, and each sentence outside a list, reads as
     achievements ("更加深入", "有效提升", "破解了……难题"), problems ("不够", "不健全", "不高", "有的……",
     "虽有提升，但……仍不紧密") or requirements ("要……", "一是……不动摇"). Starting a part costs; a lead alone only
     breaks even, so the items must agree, and a list that reads as achievements starts the achievements even
     without a signal, while a signal that its items contradict loses.
   Inside an enumerated item, up to the next marker, only an announcement can open a new part: an item's later
   sentences and paragraphs stay with it. The closing is the last paragraphs with "我就讲这些", "同志们，让我们……".
   A part's confidence is what the best reading loses if the part may not start in that paragraph (up to its first
   item): a margin m gives m / (m + 3).
4. A problems part without markers lists its problems one per paragraph when they take several paragraphs, else
   one per sentence (split also at ；); the sentences that open the part or introduce the list ("在看到成绩的同时，
   也要看到问题和不足", "我点一些现象，仅供参考", "主要表现在以下几个方面：") and wrap-ups ("这些问题…") are
   not items. A "存在A、B、C等问题" sentence gives one item per listed problem (each an exact span) when the
   pieces are problems in themselves (not "领导力、判断力、执行力不强"); in a single problems paragraph short
   comma clauses that each name one do too ("理论学习不够深入，组织生活不够规范").
5. Problem items get a category or None from the keyword tables in categorise.py, with the keywords that decided
   or why none (no keyword, a tie, a weak hint) as category_reason; a split piece with no keyword of its own
   takes its sentence's.
6. Corrections (Correction: part, nopart, join, split, drop), made on the review page, are applied by `read`:
   part starts are forced into the reading (the rest re-read around them), then items are joined, split or
   dropped in the order they were made.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shuping.speeches.categorise import categorise, explain

__all__ = ["CORRECTIONS", "KINDS", "LOW", "Correction", "Item", "Part", "Reading", "add_correction", "categorise",
           "decode", "problems", "read", "sentence_starts"]

KINDS = ("opening", "achievements", "problems", "requirements", "closing")
ORDER = {k: i for i, k in enumerate(KINDS)}


# ---------------------------------------------------------------------------------------------------- results

@dataclass
class Item:
    marker: str
    lead: str
    text: str
    category: str | None
    start: int
    end: int
    marker_start: int
    children: list[Item] = field(default_factory=list)
    confidence: float = 0.9
    reason: str = ""
    category_reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"marker": self.marker, "lead": self.lead, "text": self.text, "category": self.category,
                "start": self.start, "end": self.end, "marker_start": self.marker_start,
                "confidence": self.confidence, "reason": self.reason, "category_reason": self.category_reason,
                "children": [c.as_json() for c in self.children]}


@dataclass
class Part:
    kind: str
    start: int
    end: int
    items: list[Item] = field(default_factory=list)
    confidence: float = 1.0
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "confidence": self.confidence,
                "reason": self.reason, "items": [i.as_json() for i in self.items]}


@dataclass
class Reading:
    text: str
    parts: list[Part]

    def as_json(self) -> dict[str, Any]:
        return {"parts": [p.as_json() for p in self.parts]}

    def part(self, kind: str) -> Part | None:
        return next((p for p in self.parts if p.kind == kind), None)

    @property
    def kinds(self) -> list[str]:
        return [p.kind for p in self.parts]


def problems(reading: Reading) -> list[Item]:
    """The problems part's top-level items, in order (empty when the text has no problems part)."""
    return [i for p in reading.parts if p.kind == "problems" for i in p.items]


# ---------------------------------------------------------------------------------------------------- decoding

def decode(data: bytes, filename: str) -> str:
    """The text of an uploaded .txt (UTF-8 with or without BOM, GBK/GB18030) or .docx file."""
    name = (filename or "").strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext == "docx":
        return _decode_docx(data, name)
    if ext in ("txt", "text", ""):
        return _decode_txt(data, name or "文本")
    raise ValueError(f"不支持的文件类型：{name}（只能读取 .txt 或 .docx 文件）")


def _decode_txt(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise ValueError(f"{name} 不是文本文件（含有二进制内容），请上传 .txt 或 .docx 文件")
    text: str | None = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise ValueError(f"无法识别 {name} 的文字编码（只支持 UTF-8 和 GBK），请另存为 UTF-8 文本后重新上传")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_docx(data: bytes, name: str) -> str:
    try:
        import docx  # python-docx

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise ValueError(f"{name} 不是有效的 Word（.docx）文件，无法读取") from e
    except Exception as e:  # python-docx raises its own types for damaged packages
        raise ValueError(f"{name} 不是有效的 Word（.docx）文件，无法读取：{e}") from e
    return "\n".join(p.text for p in document.paragraphs)


# ---------------------------------------------------------------------------------------------------- lexical bits

CN_DIGITS = "一二三四五六七八九十"
_CN = {c: i + 1 for i, c in enumerate(CN_DIGITS)}
SPACE = " \t\r\u3000\xa0"
SENT_END = "。！？!?"
CLAUSE_END = SENT_END + "；;：:"
LEAD_END = "，,。：:；;！!？?\n"
OPEN_QUOTES = {"“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "〈": "〉"}


def cn_number(s: str) -> int | None:
    """一 → 1 … 十 → 10, 十一 → 11, 二十三 → 23; None for anything else."""
    if not s or any(c not in _CN for c in s):
        return None
    if len(s) == 1:
        return _CN[s]
    if len(s) == 2 and s[0] == "十":
        return 10 + _CN[s[1]]
    if len(s) == 2 and s[1] == "十":
        return _CN[s[0]] * 10
    if len(s) == 3 and s[1] == "十":
        return _CN[s[0]] * 10 + _CN[s[2]]
    return None


def quote_mask(text: str) -> list[bool]:
    """True for characters inside quotation marks (the marks included): “…”, ‘…’, 「…」, 《…》 and "…" paired
    within one line. An unclosed quote ends at the end of its line, so one stray mark cannot hide a speech."""
    mask = [False] * len(text)
    stack: list[str] = []
    ascii_open = False
    for i, ch in enumerate(text):
        if ch == "\n":
            stack.clear()
            ascii_open = False
            continue
        if ch == '"':
            mask[i] = True
            ascii_open = not ascii_open
            continue
        if ch in OPEN_QUOTES:
            stack.append(OPEN_QUOTES[ch])
            mask[i] = True
            continue
        if stack and ch == stack[-1]:
            stack.pop()
            mask[i] = True
            continue
        if stack or ascii_open:
            mask[i] = True
    return mask


# ---------------------------------------------------------------------------------------------------- markers

@dataclass
class Marker:
    family: str
    ordinal: int | None  # None: 比如 (examples, any number); 0: 最后 (closes a 首先 … list)
    start: int
    end: int  # end of the marker and its own punctuation; the item's text starts at or after it
    text: str
    para_start: bool  # the marker opens its paragraph


# Family → (regex matched at a clause start, rank). Rank orders the usual hierarchy (一、 > （一） > 1. > （1）
# > 一是 > 比如); it only decides whether a list after another list's last item is nested in it or follows it.
NUM = f"[{CN_DIGITS}]{{1,3}}"
MARKERS: dict[str, tuple[re.Pattern[str], int]] = {
    "cn_dun": (re.compile(rf"({NUM})、(?![{CN_DIGITS}\d])"), 1),
    "cn_paren": (re.compile(rf"[（(]({NUM})[)）][、，,.．]?"), 2),
    "di": (re.compile(rf"第({NUM})(?:[，,、：:．.]|(?=[是要]))"), 2),
    "num_dot": (re.compile(r"(\d{1,3})(?:[.．](?!\d)|、(?!\d))"), 3),
    "num_paren": (re.compile(r"[（(](\d{1,2})[)）][、，,.．]?"), 4),
    "circled": (re.compile(r"([①②③④⑤⑥⑦⑧⑨⑩])"), 4),
    "shi": (re.compile(rf"({NUM})是(?![一二三四五六七八九十非否])"), 5),
    "yao": (re.compile(rf"({NUM})要(?![求素点件闻害紧事])"), 5),
    "seq": (re.compile(r"(首先|其次|再次|再者|最后)(?:[，,：:]|(?=[要是]))"), 5),
    "example": (re.compile(r"(比如|例如|譬如|又如|再如|再比如)[，,：:]?"), 6),
}
RANK = {f: r for f, (_, r) in MARKERS.items()}
SEQ_ORDINAL = {"首先": 1, "其次": 2, "再次": 3, "再者": 3, "最后": 0}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
# What may precede a marker for it to start a clause.
CLAUSE_BEFORE = set(CLAUSE_END + "，,\n")


def find_markers(text: str, lo: int, hi: int, quoted: list[bool]) -> list[Marker]:
    """Every marker candidate in text[lo:hi] that starts a clause and is not quoted."""
    found: dict[int, Marker] = {}
    for family, (pattern, _rank) in MARKERS.items():
        for m in pattern.finditer(text, lo, hi):
            s = m.start()
            if s in found or quoted[s]:
                continue
            j = s - 1
            while j >= lo and text[j] in SPACE:
                j -= 1
            para_start = j < lo or text[j] == "\n"
            if not para_start and text[j] not in CLAUSE_BEFORE:
                continue
            if family == "num_dot" and j >= 0 and text[j].isdigit():
                continue
            token = m.group(1)
            ordinal: int | None
            if family in ("num_dot", "num_paren"):
                ordinal = int(token)
            elif family == "circled":
                ordinal = CIRCLED.index(token) + 1
            elif family == "seq":
                ordinal = SEQ_ORDINAL[token]
            elif family == "example":
                ordinal = None
            else:
                ordinal = cn_number(token)
                if ordinal is None:
                    continue
            end = m.end()
            # 比如 / 首先 with no punctuation must still be followed by the clause, not a number
            if end < hi and text[end] in "、.．" and family in ("shi", "yao"):
                continue
            found[s] = Marker(family, ordinal, s, end, text[s:end], para_start)
    return sorted(found.values(), key=lambda mk: mk.start)


def sequences(markers: list[Marker]) -> list[list[Marker]]:
    """Runs of one family numbered 1, 2, 3 … in order. A run of one counts only when it opens a paragraph
    (a text cut short after "1.要…", a 存在问题 section with a single "一、"); 首先 needs a 其次 or 最后;
    examples (比如, 又如) that follow each other with no other marker between them are one run."""
    runs: list[list[Marker]] = []
    by_family: dict[str, list[Marker]] = {}
    for mk in markers:
        by_family.setdefault(mk.family, []).append(mk)
    previous: Marker | None = None
    for mk in markers:  # examples that follow each other (比如…又如…) are one run
        if mk.family == "example":
            if previous is not None and previous.family == "example":
                runs[-1].append(mk)
            else:
                runs.append([mk])
        previous = mk
    for family, mks in by_family.items():
        if family == "example":
            continue
        current: list[Marker] = []
        for mk in mks:
            if mk.ordinal == 1:
                if current:
                    runs.append(current)
                current = [mk]
            elif current and current[-1].ordinal != 0 and (
                    mk.ordinal == (current[-1].ordinal or 0) + 1 or (family == "seq" and mk.ordinal == 0)):
                current.append(mk)
        if current:
            runs.append(current)
    kept = []
    for run in runs:
        if len(run) == 1 and run[0].family != "example" and (run[0].family == "seq" or not run[0].para_start):
            continue
        kept.append(run)
    return _drop_crossing(kept)


def _drop_crossing(runs: list[list[Marker]]) -> list[list[Marker]]:
    """Two runs whose markers interleave cannot both be lists: keep the longer (then the higher-ranked)."""
    runs = sorted(runs, key=lambda r: (-len(r), RANK[r[0].family], r[0].start))
    kept: list[list[Marker]] = []
    for run in runs:
        positions = [m.start for m in run]
        crossing = False
        for other in kept:
            o = [m.start for m in other]
            # run lies strictly between two consecutive markers of other, or entirely outside it: fine
            inside_gap = any(o[k] < positions[0] and positions[-1] < o[k + 1] for k in range(len(o) - 1))
            outside = positions[-1] < o[0] or positions[0] > o[-1]
            other_inside = any(positions[k] < o[0] and o[-1] < positions[k + 1] for k in range(len(positions) - 1))
            if not (inside_gap or outside or other_inside):
                crossing = True
                break
        if not crossing:
            kept.append(run)
    return sorted(kept, key=lambda r: r[0].start)


# ---------------------------------------------------------------------------------------------------- the body

FOOTER = re.compile(
    r"本文内容由|本站仅提供|不拥有所有权|不承担相关法律责任|如若转载|请注明出处|版权(所有|声明|归)|侵权|"
    r"^\s*(上一篇|下一篇|相关推荐|相关阅读|猜你喜欢|热门文章|投稿用户|点击(查看|阅读)|来源[：:]|责任编辑|"
    r"\(\d+\)\s*$|（\d+）\s*$)|https?://|www\.")
JUNK_LINE = re.compile(r"^[\s*＊×xX#=\-—_…·.。]*$")
SALUTATION = re.compile(r"^(各位)?(同志们|同事们|各位领导|各位同志)[，,：:！!]?\s*$")


@dataclass
class Para:
    start: int  # first non-space character
    end: int  # after the last non-space character


def _lines(text: str, lo: int, hi: int) -> list[Para]:
    paras = []
    pos = lo
    while pos < hi:
        nl = text.find("\n", pos, hi)
        stop = hi if nl < 0 else nl
        s, e = pos, stop
        while s < e and text[s] in SPACE:
            s += 1
        while e > s and text[e - 1] in SPACE:
            e -= 1
        if e > s:
            paras.append(Para(s, e))
        pos = stop + 1
    return paras


def _is_title(line: str) -> bool:
    return (len(line) <= 60 and not re.search(r"[。，,：:；;！!？?]", line) and not SALUTATION.match(line)
            and not re.match(rf"^([{CN_DIGITS}]+、|\d+[.．、]|[（(])", line))


def body_range(text: str) -> tuple[int, int]:
    """[start, end) of the speech itself: title lines before it and a web page's footer after it cut off."""
    paras = _lines(text, 0, len(text))
    if not paras:
        return 0, 0
    end = paras[-1].end
    for k, p in enumerate(paras):
        if k > 0 and FOOTER.search(text[p.start:p.end]):
            end = paras[k - 1].end
            paras = paras[:k]
            break
    while paras and JUNK_LINE.match(text[paras[-1].start:paras[-1].end]):
        paras.pop()
    if not paras:
        return 0, 0
    end = min(end, paras[-1].end)
    first = 0
    while first < len(paras) - 1 and _is_title(text[paras[first].start:paras[first].end]) and not _signal_any(
            text[paras[first].start:paras[first].end]):
        first += 1
    return paras[first].start, end


# ---------------------------------------------------------------------------------------------------- part signals

@dataclass
class Rule:
    kind: str
    pattern: re.Pattern[str]
    strong: bool  # an announcement in the speaker's own voice: opens a part wherever it stands


def _r(kind: str, pattern: str, strong: bool) -> Rule:
    return Rule(kind, re.compile(pattern), strong)


# Sentences that open a part, matched against one sentence (split at 。！？；：) outside quotations. A strong rule
# is an announcement ("在看到成绩的同时", "下面，我讲几点意见", "存在的问题：") and counts wherever the sentence stands;
# a lead rule ("一年来，…", "还有一些短板", "取得了积极成效") counts fully only as a paragraph's first sentence.
# Neither counts in a sentence that reports what someone else said (REPORTED).
RULES: list[Rule] = [
    _r("achievements", r"^(主要|工作|突出)?(亮点|成绩|成效|特色|做法)(是|有|在于)?[：:]?$", True),
    _r("achievements", r"^(一年来|近一年来|过去一年|过去的一年|这一年来?|今年以来|近年来|总的来看|总体来看|总的看|"
                       r"总体上看|从述职情况(来)?看|从大家的述职(情况)?(来)?看)", False),
    _r("achievements", r"(亮点|特色)(鲜明|突出|纷呈)|(成效|成绩)(明显|显著|突出|值得肯定)|值得肯定|可圈可点", False),
    _r("achievements", r"取得了?(新的?|积极|明显|显著|较好|良好|一定)的?(成效|成绩|进展)|取得新进展", False),
    _r("problems", r"在(看到|肯定|充分肯定|总结)(成绩|成效|亮点)的?同时", True),
    _r("problems", r"^(存在的|主要|突出)?(问题|不足|不足之处|差距)(是|有|主要(是|有|表现在))?[：:]?$", True),
    _r("problems", r"^(但|但是|不过|同时)?[，,]?(也|还|仍)?(存在|有)(一些|着|的)?(问题|不足)", True),
    _r("problems", r"我[^。，,]{0,4}(点|讲|说|谈|列举|指出)[^。]{0,8}(问题|现象|不足|差距|短板)", True),
    _r("problems", r"(看到|正视|清醒认识到?|清醒地看到|指出)[^。]{0,12}(问题|不足|差距|短板)", False),
    _r("problems", r"问题(和|与|及)不足|不足(和|与|及)问题|(差距|短板)(和|与|及)不足", False),
    _r("problems", r"(还|仍|也)(有|存在)(一些|不少|许多|较大|一定)?的?(问题|不足|短板|差距|薄弱环节)", False),
    _r("problems", r"(也|还)要(清醒地?)?看到|存在[^。]{2,80}等(方面的?)?(问题|不足|短板|现象)", False),
    _r("requirements", r"(讲|提|强调|谈|说)(一下|以下)?(几|[两二三四五六七八九十]|\d+)(点|个方面|条)", True),
    _r("requirements", r"^(下一步|下步|今后|希望|建议)[^。]{0,16}(建议|希望|要求|意见)", True),
    _r("requirements", r"^(几点|主要|下步|下一步)?(建议|要求|希望|意见|思路)[：:]?$", True),
    _r("requirements", r"^(下一步|下步)[，,]", True),
    _r("requirements", r"^(同志们|同事们)[，,！!]", False),  # after the problems: the turn to what to do
]
# A heading that opens a part names it ("二、清醒认识机关党建工作存在的问题", "三、扎实做好下一步工作").
HEADING_RULES: list[Rule] = [
    _r("achievements", r"成绩|成效|亮点|进展|做法|经验", True),
    _r("problems", r"问题|不足|差距|短板", True),
    _r("requirements", r"下一步|下步|今后|努力方向|意见|要求|建议|思路|做好", True),
]
PRAISE = re.compile(r"实事求是|思路清晰|措施有力|重点突出|成效明显|亮点")  # a 点评's first sentence
REPORTED = re.compile(
    r"(同志|书记|部长|处长|主任|领导|省委|市委|县委|区委|中央|总书记|专家|大家|各位|他们|他|她)[^。；;]{0,30}?"
    r"(指出|强调|提出|提了|讲了|述出|述了|作了[^。；;]{0,6}(讲话|点评|部署))|在[^。；;]{0,24}(讲话|会议|会上|大会)[中上]")
CLOSING = re.compile(r"我就讲(这些|这么多|到这里)|就讲到这里|谢谢大家|谢谢！|^让我们")
TO_REQUIREMENTS = re.compile(r"^(同志们|同事们)[，,！!]")
WRAP_UP = re.compile(r"^(这些问题|上述问题|以上问题|以上|上述|总之|总的来说|总而言之|对此|对这些问题|针对这些问题|"
                     r"对于这些问题|同志们)")
# What announces rather than says: a lead-in ("我点一些现象，仅供参考", "主要表现在以下几个方面：") is no item.
META = re.compile(r"仅供|供大家|参考|不一定全面|主要(有|是|表现在)[：:]?$|以下几个方面|如下|具体(来说|表现)|大家可以批评|"
                  r"说得不对|不妥之处|[：:]$")
OPENING_WORDS = re.compile(r"今天|召开|会议|大会|同志们|各位|这次|本次")


def _signal_any(sentence: str) -> bool:
    return any(r.pattern.search(sentence) for r in RULES if r.strong)


def _rule_for(sentence: str, rules: list[Rule]) -> tuple[Rule, re.Match[str]] | None:
    """The rule of the latest part a sentence signals (the announcement wins over an earlier word)."""
    best: tuple[Rule, re.Match[str]] | None = None
    for rule in rules:
        m = rule.pattern.search(sentence)
        if m and (best is None or ORDER[rule.kind] > ORDER[best[0].kind] or (
                ORDER[rule.kind] == ORDER[best[0].kind] and rule.strong and not best[0].strong)):
            best = (rule, m)
    return best


# ---------------------------------------------------------------------------------------------------- what a sentence says

# Words that say a thing went well, went badly, or must be done. A sentence (or an item's first sentence) reads as
# the kind with more of its words; after "虽…，但…" only the clause after 但 counts.
ACH_WORDS = re.compile(
    r"更加|进一步(增强|夯实|深化|提升|提高|巩固|加强|扩大|完善|健全|凸显|彰显|规范|压实)|"
    r"不断(增强|提升|提高|压实|推进|筑牢|夯实|深化|完善|加强|扩大|巩固|创新)|有效(提升|发挥|解决|推进|激发|落实|缓解)|"
    r"显著(增强|提升|提高)|明显(提升|提高|增强|改善|下降|成效)|稳步(提升|提高|推进)|扎实推进|全面(进步|过硬|完成|落实|推行|实现)|"
    r"持续(加强|改进|深化|扩大|提升|巩固|向好)|成效明显|取得|建成|完成|实现|达到|提高到|增收|推广|入选|评为|高涨|"
    r"有创新|有力度|有突破|落得实|亮点|创新推行|涌现|率先|覆盖率|满意度|全覆盖|得到(充分|有效)?(发挥|加强|提升)")
ACH_RESOLVED = re.compile(r"(破解|扭转|改变|解决|克服|补齐|化解)了|得到(有效|根本|明显|较好)?(解决|缓解|改善|扭转)|逐步缓解")
PROB_WORDS = re.compile(
    r"不够|不足|不强|不高|不严|不实|不力|不深|不全|不到位|不充分|不规范|不明显|不精细|不平衡|不健全|不紧密|不彻底|"
    r"不上心|不熟悉|不及时|不匹配|不稳定|不优|不畅|不快|不多|欠缺|缺乏|缺少|缺位|薄弱|滞后|偏少|偏低|偏大|偏弱|偏高|"
    r"偏差|较少|有待|短板|差距|弱化|虚化|淡化|淡薄|老化|边缘化|流于形式|形同虚设|走过场|参差不齐|时有发生|依然|仍然|"
    r"仍有|比较突出|问题突出|不同程度|反弹|盲区|空缺|没有|未能|难以|挂名|应付|照抄|照搬|两张皮|推诿|存在")
PROB_SUBJECT = re.compile(r"^(有的|有些|个别|少数|部分|一些|极个别)")
NOT_PROBLEM = re.compile(r"不断|不动摇|不放松|不停步|不懈怠|不松劲|不折不扣|不出[村门户]|不忘|不遮不掩|不虚不空|不躲不绕")
REQ_START = re.compile(r"^(要|必须|务必|应当|坚持|着力|切实|进一步|持续|始终|坚决|加强|强化|抓好|抓实|压实|建强|配齐|"
                       r"严把|管好|层层|聚焦|注重|深化|推动|健全|完善|实施|建立|严格|带头|把|在[^，。]{1,12}上下(更大)?功夫)")
REQ_SUBJECT = re.compile(r"^[^，,。；;：:]{0,14}?(?<![主重需只纪])(要|必须|务必)(?![求点素件闻害紧])")
REQ_END = re.compile(r"不动摇|不放松|不停步|不懈怠|不松劲|上下(更大)?功夫|聚焦用力|持续用力|较真碰硬|见底见效")
OPEN_WORDS = re.compile(r"今天|召开|会议|大会|议程|刚才|到会|参加|欢迎|测评|述职(?!报告)|点评")


def reads_as(sentence: str) -> str | None:
    """The kind of content a sentence reads as: achievements, problems, requirements, opening, or None."""
    s = sentence.strip(SPACE + "，,")
    if REQ_START.match(s) or REQ_SUBJECT.match(s) or REQ_END.search(s):
        return "requirements"
    if ACH_RESOLVED.search(s):
        return "achievements"
    cut = max(s.rfind("但"), s.rfind("却"))
    tail = s[cut + 1:] if cut >= 0 else s
    tail = NOT_PROBLEM.sub("", tail)
    ach = len(ACH_WORDS.findall(tail))
    prob = len(PROB_WORDS.findall(tail)) + (1 if PROB_SUBJECT.match(s) else 0)
    if prob > ach:
        return "problems"
    if ach > prob:
        return "achievements"
    if OPEN_WORDS.search(s):
        return "opening"
    return None


@dataclass
class Sentence:
    start: int
    end: int  # includes its closing punctuation
    para_start: bool


def sentences(text: str, paras: list[Para], quoted: list[bool], ends: str = CLAUSE_END) -> list[Sentence]:
    out = []
    for p in paras:
        s = p.start
        first = True
        for i in range(p.start, p.end):
            if text[i] in ends and not quoted[i]:
                if i + 1 > s:
                    out.append(Sentence(s, i + 1, first))
                    first = False
                s = i + 1
                while s < p.end and text[s] in SPACE:
                    s += 1
        if s < p.end:
            out.append(Sentence(s, p.end, first))
    return out


def sentence_starts(text: str) -> list[int]:
    """Where the body's sentences start (split at 。！？；：): the places a part may start or an item be split."""
    lo, hi = body_range(text)
    return [s.start for s in sentences(text, _lines(text, lo, hi), quote_mask(text))]


def _unquoted(text: str, start: int, end: int, quoted: list[bool]) -> str:
    return "".join(ch if not quoted[start + k] else "＂" for k, ch in enumerate(text[start:end]))


# ---------------------------------------------------------------------------------------------------- corrections

CORRECTIONS = ("part", "nopart", "join", "split", "drop")


@dataclass(frozen=True)
class Correction:
    """A reviewer's correction of a reading: part KIND starts at AT ("part"), there is no part KIND ("nopart"), the
    item whose marker starts at AT joins the item before it ("join"), the item containing AT is split there
    ("split"), the item whose marker starts at AT is no item ("drop"). Offsets are into the text; the reading
    with corrections is `read(text, corrections)`."""

    op: str
    at: int | None = None
    kind: str | None = None

    @classmethod
    def of(cls, raw: Any) -> Correction:
        if isinstance(raw, Correction):
            return raw
        op, at, kind = raw.get("op"), raw.get("at"), raw.get("kind")
        return cls(str(op), int(at) if at is not None else None, str(kind) if kind is not None else None)

    def as_json(self) -> dict[str, Any]:
        return {"op": self.op, "at": self.at, "kind": self.kind}


def add_correction(corrections: list[Any], new: Correction) -> list[Correction]:
    """The list with `new` appended, leaving out earlier corrections it overrides: another start or removal of the
    same part, and part starts out of order with it (问题 cannot start before a 成绩 that starts after it)."""
    kept: list[Correction] = []
    for c in map(Correction.of, corrections):
        if c == new:
            continue
        if new.op in ("part", "nopart") and c.op in ("part", "nopart"):
            if c.kind == new.kind:
                continue
            if (new.op == c.op == "part" and c.at is not None and new.at is not None and c.kind and new.kind
                    and (ORDER[c.kind] < ORDER[new.kind]) != (c.at < new.at)):
                continue
        kept.append(c)
    return [*kept, new]


# ---------------------------------------------------------------------------------------------------- parts

STRONG, LEAD, LEAD_INLINE = 12.0, 6.0, 3.0  # what a signal is worth
TURN = 6.0  # what starting a new part costs: a lead signal alone only breaks even, content must agree
ITEM_WEIGHT, SENTENCE_WEIGHT = 3.0, 1.0  # what an item's first sentence and a free sentence say about their part
NEG = -1e9
LABELS = {"opening": "开头", "achievements": "成绩", "problems": "问题", "requirements": "要求/建议", "closing": "结尾"}


@dataclass
class Unit:
    """A sentence as the part finder sees it."""

    start: int
    end: int
    para_start: bool
    reads: str | None  # the kind its content reads as
    weight: float  # how much that counts (0 inside an item: the item's first sentence speaks for it)
    inside: bool  # inside an enumerated item before the list's last marker: only an announcement opens a part
    item: bool  # starts with a list marker
    signals: dict[str, tuple[float, str, bool]] = field(default_factory=dict)  # kind → (worth, reason, heading)


def _snippet(text: str, s: int, e: int, n: int = 24) -> str:
    words = " ".join(text[s:e].split())
    return words if len(words) <= n else words[:n] + "……"


def _units(text: str, paras: list[Para], sents: list[Sentence], markers: list[Marker], quoted: list[bool],
           stop: int) -> list[Unit]:
    runs = sequences(markers)
    run_of = {m.start: run for run in runs for m in run}
    inside_spans = [(run[0].start, run[-1].start) for run in runs]  # (first marker, last marker)
    last_item_para = [(run[-1].start, _para_of(paras, run[-1].start).end) for run in runs]
    single_para = len(paras) <= 1
    units: list[Unit] = []
    for k, sent in enumerate(sents):
        if sent.start >= stop:
            break
        mk = next((m for m in markers if m.start == sent.start and m.start in run_of), None)
        s = mk.end if mk else sent.start
        raw = _unquoted(text, s, sent.end, quoted).strip(SPACE + "，,、")
        inside = any(a < sent.start < b for a, b in inside_spans)
        in_last = any(a < sent.start < b for a, b in last_item_para)
        weight = ITEM_WEIGHT if mk else (0.0 if inside or in_last else SENTENCE_WEIGHT)
        unit = Unit(sent.start, sent.end, sent.para_start, reads_as(raw), weight, inside or in_last, mk is not None)
        heading = mk is not None and sent.end >= _para_of(paras, sent.start).end and len(raw) <= 40
        if mk is not None and heading:
            found = _rule_for(raw, RULES) or _rule_for(raw, HEADING_RULES)
            if found:
                unit.signals[found[0].kind] = (STRONG, f"小标题“{mk.text}{_snippet(text, s, sent.end)}”", True)
        elif mk is None and not REPORTED.search(raw):
            found = _rule_for(raw, RULES)
            if found:
                rule = found[0]
                first = sent.para_start or single_para or k == 0
                worth = STRONG if rule.strong else (LEAD if first else LEAD_INLINE)
                where = "本段引领句" if sent.para_start else "句子"
                unit.signals[rule.kind] = (worth, f"{where}“{_snippet(text, sent.start, sent.end)}”", False)
            if k == 0 and PRAISE.search(raw) and "achievements" not in unit.signals:
                unit.signals["achievements"] = (LEAD, f"开头即评价“{_snippet(text, sent.start, sent.end)}”", False)
        units.append(unit)
    return units


def _viterbi(units: list[Unit], opening_bonus: float, forced: dict[int, str], banned: set[str],
             forbid: frozenset[tuple[int, str]] | set[tuple[int, str]] = frozenset()) -> tuple[float, list[int]]:
    """The best order-keeping labelling of the units with the kinds opening … requirements: (score, kind index per
    unit). `forced` unit → kind must start a part there; `banned` kinds never appear; `forbid` (unit, kind) pairs:
    no part of that kind may start at that unit (to measure how much the best reading depends on it)."""
    kinds = KINDS[:4]
    n = len(units)
    score = [[NEG] * 4 for _ in range(n)]
    back = [[-1] * 4 for _ in range(n)]

    def emit(u: Unit, j: int) -> float:
        return u.weight if u.reads == kinds[j] else 0.0

    for j in range(4):
        if kinds[j] in banned or (0, kinds[j]) in forbid or (0 in forced and forced[0] != kinds[j]):
            continue
        bonus = units[0].signals.get(kinds[j], (0.0, "", False))[0] + (opening_bonus if j == 0 else 0.0)
        score[0][j] = bonus + emit(units[0], j)
    for k in range(1, n):
        u = units[k]
        for j in range(4):
            if kinds[j] in banned:
                continue
            stay = NEG if k in forced else score[k - 1][j]
            best, frm = stay, j
            sig = u.signals.get(kinds[j])
            may_turn = (k, kinds[j]) not in forbid and (k not in forced or forced[k] == kinds[j]) and (
                not u.inside or (sig is not None and sig[0] >= STRONG) or k in forced)
            if k in forced and forced[k] != kinds[j]:
                best = NEG
                may_turn = False
            if may_turn:
                worth = sig[0] if sig else 0.0
                place = 1.0 if u.para_start else (0.0 if worth >= STRONG else -2.0)
                for i in range(j):
                    if score[k - 1][i] > NEG / 2:
                        cand = score[k - 1][i] + worth - TURN + place + (1000.0 if k in forced else 0.0)
                        if cand > best:
                            best, frm = cand, i
            if best > NEG / 2:
                score[k][j] = best + emit(u, j)
                back[k][j] = frm
    j = max(range(4), key=lambda x: score[n - 1][x])
    total = score[n - 1][j]
    if total <= NEG / 2:
        return NEG, []
    path = [0] * n
    for k in range(n - 1, -1, -1):
        path[k] = j
        j = back[k][j] if k > 0 else j
    return total, path


@dataclass
class PartStart:
    kind: str
    start: int
    confidence: float
    reason: str
    title: int | None = None  # the marker of a heading that opens the part (the part's title, not an item)


def _confidence(margin: float) -> float:
    """How sure a decision is, from how much the best reading would lose without it (0 … 1)."""
    return round(max(0.0, min(1.0, margin / (margin + 3.0))), 2) if margin < 1e6 else 1.0


def _part_starts(text: str, paras: list[Para], sents: list[Sentence], markers: list[Marker], quoted: list[bool],
                 lo: int, hi: int, fixes: list[Correction]) -> list[PartStart]:
    closing = _closing_start(text, paras, sents, {m.start: m for m in markers})
    forced_closing = [c for c in fixes if c.kind == "closing"]
    closing_reason = "结束语（“我就讲这些”“同志们，让我们……”）"
    closing_conf = 0.9
    if forced_closing:
        c = forced_closing[-1]
        closing = c.at if c.op == "part" and c.at is not None and lo < c.at < hi else None
        closing_reason, closing_conf = "审核时更正", 1.0
    stop = closing if closing is not None else hi
    units = _units(text, paras, sents, markers, quoted, stop)
    out: list[PartStart] = []
    if units:
        first = text[units[0].start:units[0].end]
        head = text[units[0].start:stop][:60]
        opening_bonus = 6.0 if SALUTATION.match(first.strip()) else 3.0 if OPENING_WORDS.search(head) else 0.0
        index = {u.start: k for k, u in enumerate(units)}
        forced: dict[int, str] = {}
        banned = {c.kind for c in fixes if c.op == "nopart" and c.kind}
        for c in fixes:
            if c.op == "part" and c.kind in KINDS[1:4] and c.at is not None:
                k = _unit_at(units, c.at)
                if k is not None:
                    forced[k] = c.kind
        total, path = _viterbi(units, opening_bonus, forced, banned)
        if not path:  # contradictory corrections: read without them
            forced, banned = {}, set()
            total, path = _viterbi(units, opening_bonus, forced, banned)
        for k, j in enumerate(path):
            if k > 0 and path[k - 1] == j:
                continue
            kind = KINDS[j]
            u = units[k]
            if k in forced:
                out.append(PartStart(kind, u.start if k else lo, 1.0, "审核时更正"))
                continue
            alt, _ = _viterbi(units, opening_bonus, forced, banned, forbid=_same_items(units, paras, k, kind))
            conf = _confidence(total - alt if alt > NEG / 2 else 1e9)
            reason = _part_reason(text, units, path, k, kind, opening_bonus)
            sig = u.signals.get(kind)
            title = u.start if sig and sig[2] else None
            out.append(PartStart(kind, u.start if k else lo, conf, reason, title))
        del index
    if closing is not None:
        out.append(PartStart("closing", closing, closing_conf, closing_reason))
    if not out:
        out.append(PartStart("opening", lo, 0.5, "未识别出结构"))
    return out


def _same_items(units: list[Unit], paras: list[Para], k: int, kind: str) -> set[tuple[int, str]]:
    """Part starts that read the same as starting `kind` at unit k: anywhere in k's paragraph, and on up to the
    part's first item or sentence of its own kind. How sure a part start is = what the best reading loses when
    none of these may start it."""
    para = _para_of(paras, units[k].start)
    out = {(x, kind) for x, u in enumerate(units) if para.start <= u.start < para.end}
    for x in range(k, len(units)):
        out.add((x, kind))
        if units[x].weight and units[x].reads == kind:
            break
    return out


def _unit_at(units: list[Unit], at: int) -> int | None:
    for k, u in enumerate(units):
        if u.start <= at < max(u.end, u.start + 1):
            return k
    return None


def _part_reason(text: str, units: list[Unit], path: list[int], k: int, kind: str, opening_bonus: float) -> str:
    j = KINDS.index(kind)
    members = [units[x] for x in range(k, len(units)) if path[x] == j]
    agree = sum(1 for u in members if u.weight and u.reads == kind)
    other = sum(1 for u in members if u.weight and u.reads not in (None, kind, "opening"))
    sig = units[k].signals.get(kind)
    bits = []
    if sig:
        bits.append(sig[1])
    elif k == 0 and kind == "opening":
        bits.append("讲话开头（称呼、会议情况）" if opening_bonus else "开头")
    elif k == 0:
        bits.append("开头即读作" + LABELS[kind])
    else:
        bits.append("本段没有引领句，按内容")
    if kind != "opening":
        said = f"{agree} 处读作{LABELS[kind]}"
        if other:
            said += f"，{other} 处读作其他部分"
        bits.append(said)
    return "；".join(bits)


def _closing_start(text: str, paras: list[Para], sents: list[Sentence], marker_at: dict[int, Marker]) -> int | None:
    """Where the closing begins: the last few unnumbered paragraphs, from one that starts with "同志们，" or holds
    "我就讲这些" / "谢谢大家" / "让我们"; or, inside the last paragraph, the sentence that says so."""
    trailing: list[Para] = []
    for p in reversed(paras):
        if p.start in marker_at or len(trailing) >= 3:
            break
        trailing.insert(0, p)
    if len(trailing) == len(paras):  # an unnumbered text: only its last paragraphs can close it
        trailing = trailing[-2:]
    for p in trailing:
        line = text[p.start:p.end]
        if SALUTATION.match(line):
            continue
        if TO_REQUIREMENTS.match(line) or CLOSING.search(line):
            if p is paras[0]:
                return None
            return p.start
    last = paras[-1]
    for s in sents:
        if s.start >= last.start and s.start > last.start and CLOSING.search(text[s.start:s.end]):
            return s.start
    return None


# ---------------------------------------------------------------------------------------------------- reading

LOW = 0.6  # below this a part or an item is flagged for the reviewer to check first


def read(text: str, corrections: Sequence[Any] = ()) -> Reading:
    """The parts of a speech / 点评 / 存在问题 text and their enumerated items, with the reviewer's corrections
    (Correction or its JSON) applied."""
    fixes = [Correction.of(c) for c in corrections]
    quoted = quote_mask(text)
    lo, hi = body_range(text)
    if hi <= lo:
        return Reading(text, [])
    paras = _lines(text, lo, hi)
    markers = find_markers(text, lo, hi, quoted)
    sents = sentences(text, paras, quoted)
    starts = _part_starts(text, paras, sents, markers, quoted, lo, hi, fixes)
    parts: list[Part] = []
    for k, ps in enumerate(starts):
        e = starts[k + 1].start if k + 1 < len(starts) else hi
        e = _rstrip(text, ps.start, e)
        if e <= ps.start:
            continue
        part = Part(ps.kind, ps.start, e, confidence=ps.confidence, reason=ps.reason)
        inside = [m for m in markers if m.start != ps.title]
        part.items = _items(text, part, inside, paras, quoted)
        if kind_has_sentence_items(part):
            part.items = _sentence_items(text, part, paras, quoted)
        parts.append(part)
    for fix in fixes:
        if fix.op in ("join", "split", "drop") and fix.at is not None:
            _apply(text, parts, fix, markers, quoted)
    for part in parts:
        if part.kind == "problems":
            for item in part.items:
                _categorise(text, item)
    return Reading(text, parts)


def kind_has_sentence_items(part: Part) -> bool:
    """A problems part without enumerated items lists its problems by paragraph or sentence."""
    return part.kind == "problems" and not part.items


def _categorise(text: str, item: Item) -> None:
    """The item's category from its words, those of its lead counting twice; a piece of a "存在……等问题" list with
    no keyword of its own takes its sentence's."""
    code, why = explain(item.text, item.lead if item.lead != item.text else "")
    if code is None and not item.marker:
        around = _sentence_around(text, item)
        if around != item.text:
            code_around, why_around = explain(around)
            if code_around is not None:
                code, why = code_around, "据所在句：" + why_around
    item.category, item.category_reason = code, why


def _rstrip(text: str, s: int, e: int) -> int:
    """Move e back over whitespace and lines of junk (***, ……)."""
    while e > s:
        while e > s and text[e - 1] in SPACE + "\n":
            e -= 1
        line_start = text.rfind("\n", s, e) + 1
        line_start = max(line_start, s)
        if line_start < e and JUNK_LINE.match(text[line_start:e]) and text[line_start:e].strip(SPACE) != "":
            e = line_start
            continue
        break
    return e


def _apply(text: str, parts: list[Part], fix: Correction, markers: list[Marker], quoted: list[bool]) -> None:
    """One item correction (join, split, drop) on the parts' top-level items; one that no longer fits is skipped."""
    at = fix.at if fix.at is not None else -1
    for part in parts:
        items = part.items
        for n, item in enumerate(items):
            if fix.op in ("join", "drop") and item.marker_start == at:
                if fix.op == "drop":
                    del items[n]
                elif n > 0:
                    prev = items[n - 1]
                    items[n - 1:n + 1] = [Item(prev.marker, prev.lead, text[prev.start:item.end], None, prev.start,
                                               item.end, prev.marker_start, prev.children + item.children,
                                               1.0, "审核时合并")]
                return
            if fix.op == "split" and item.start < at < item.end:
                e = at
                while e > item.start and text[e - 1] in SPACE + "\n；;，,、：:":
                    e -= 1
                mk = next((m for m in markers if m.start == at), None)
                s = mk.end if mk else at
                while s < item.end and text[s] in SPACE + "，,：:、.．\n":
                    s += 1
                if e <= item.start or s >= item.end:
                    return
                first = Item(item.marker, _lead(text, item.start, e, quoted), text[item.start:e], None, item.start, e,
                             item.marker_start, [c for c in item.children if c.end <= e], 1.0, "审核时拆分")
                second = Item(mk.text if mk else "", _lead(text, s, item.end, quoted), text[s:item.end], None, s,
                              item.end, at, [c for c in item.children if c.marker_start >= at], 1.0, "审核时拆分")
                items[n:n + 1] = [first, second]
                return


# ---------------------------------------------------------------------------------------------------- items

def _items(text: str, part: Part, markers: list[Marker], paras: list[Para], quoted: list[bool]) -> list[Item]:
    inside = [m for m in markers if part.start <= m.start < part.end]
    runs = sequences(inside)
    runs += _continued(inside, part.start, runs)
    items = _build(text, part.start, part.end, runs, paras, quoted, top=True)
    for item in items:
        said = reads_as(_first_sentence(text, item, quoted))
        if said in ("achievements", "problems", "requirements") and said != part.kind:
            item.confidence = min(item.confidence, 0.5)
            item.reason += f"；但条目读作{LABELS[said]}，请核对它属于哪一部分"
        if part.kind == "problems":
            follow = [p for p in paras if item.start < p.start < item.end and PROB_SUBJECT.match(text[p.start:p.end])]
            if follow:
                item.confidence = min(item.confidence, 0.55)
                item.reason += f"；其后不带序号的“{text[follow[0].start:follow[0].start + 2]}……”段落并入此条，请核对是否另起一条"
    return items


def _continued(inside: list[Marker], start: int, runs: list[list[Marker]]) -> list[list[Marker]]:
    """A list that a part boundary cut (a reviewer started the part at "二是"): from the part's first marker on,
    its next numbers are the part's list."""
    used = {m.start for run in runs for m in run}
    first = next((m for m in inside if m.start == start), None)
    if first is None or first.start in used or not first.ordinal or first.ordinal < 2:
        return []
    run = [first]
    for m in inside:
        if m.start > run[-1].start and m.family == first.family and m.ordinal == (run[-1].ordinal or 0) + 1:
            if m.start in used:
                return []
            run.append(m)
    return [run]


def _first_sentence(text: str, item: Item, quoted: list[bool]) -> str:
    i = item.start
    while i < item.end and not (text[i] in SENT_END + "；;" and not quoted[i]):
        i += 1
    return text[item.start:i]


def _para_of(paras: list[Para], pos: int) -> Para:
    for p in paras:
        if p.start <= pos < p.end or (p.start <= pos <= p.end):
            return p
    return paras[-1]


def _is_heading(text: str, p: Para, m: Marker) -> bool:
    body = text[m.end:p.end]
    return len(body) <= 40 and not re.search(r"[。！？!?；;]", body.rstrip("。"))and not body.endswith("。")


def _build(text: str, lo: int, hi: int, runs: list[list[Marker]], paras: list[Para], quoted: list[bool],
           top: bool = False) -> list[Item]:
    runs = [r for r in runs if lo <= r[0].start and r[-1].start < hi]
    if not runs:
        return []
    runs.sort(key=lambda r: (r[0].start, RANK[r[0].family]))
    run = runs[0]
    rest = runs[1:]
    # the end of the run's last item: the paragraph's end for an inline list; for a list of paragraphs, the
    # next list of the same or a higher rank (a sibling), else the end of the range
    last = run[-1]
    last_para = _para_of(paras, last.start)
    if not last.para_start:
        end_last = min(hi, last_para.end)
    else:
        end_last = hi
        for other in rest:
            if other[0].start > last.start and RANK[other[0].family] <= RANK[run[0].family]:
                end_last = min(end_last, _para_of(paras, other[0].start).start
                               if other[0].para_start else other[0].start)
                break
        if not _is_heading(text, last_para, last):
            # the list's last item stops before a wrap-up paragraph ("这些问题…", "同志们，…")
            for p in paras:
                if last_para.end <= p.start < end_last and WRAP_UP.match(text[p.start:p.end]):
                    end_last = p.start
                    break
    # an inline last item also stops at a wrap-up sentence
    for sent in sentences(text, [Para(last.end, end_last)] if end_last > last.end else [], quoted, SENT_END):
        if sent.start > last.end and WRAP_UP.match(text[sent.start:sent.end]):
            end_last = sent.start
            break
    items: list[Item] = []
    bounds = [m.start for m in run[1:]] + [end_last]
    for m, b in zip(run, bounds, strict=True):
        s = m.end
        while s < b and text[s] in SPACE + "，,：:、.．\n":
            s += 1
        e = b
        while e > s and text[e - 1] in SPACE + "\n；;，,、：:":
            e -= 1
        e = _rstrip(text, s, e)
        while e > s and text[e - 1] in SPACE + "\n；;，,、：:":
            e -= 1
        if e <= s:
            continue
        children_runs = [r for r in rest if m.end <= r[0].start and r[-1].start < b]
        if m.family == "example":
            conf, why = 0.85, f"举例“{m.text}”"
        elif len(run) > 1:
            conf, why = 0.9, f"序号“{m.text}”（第 {len(items) + 1}/{len(run)} 条）"
        else:
            conf, why = 0.6, f"序号“{m.text}”，只有这一条"
        item = Item(m.text, _lead(text, s, e, quoted), text[s:e], None, s, e, m.start, confidence=conf, reason=why)
        item.children = _build(text, s, e, children_runs, paras, quoted)
        items.append(item)
    following = [r for r in rest if r[0].start >= end_last]
    return items + _build(text, end_last, hi, following, paras, quoted)


def _lead(text: str, s: int, e: int, quoted: list[bool]) -> str:
    i = s
    while i < e and not (text[i] in LEAD_END and not quoted[i]):
        i += 1
    return text[s:i].strip(SPACE)


# ---------------------------------------------------------------------------------------------------- unnumbered problems

# A piece of a "存在A、B、C等问题" list must name a problem by itself.
PIECE_PROBLEM = re.compile(r"不够|不足|不强|不高|不到位|不严|不实|不力|不深|不全|不充分|不规范|不明显|不精细|不平衡|"
                           r"欠缺|缺乏|缺少|薄弱|滞后|偏少|较少|有待|短板|弱化|虚化|淡化|边缘化|老化|差距|问题|没有|未能|不|缺|弱")
LIST_FRAME = re.compile(r"(存在着?|暴露出?|表现(为|在)|出现了?)")
LIST_END = re.compile(r"等(方面的?|一系列|一些)?(的)?(问题|不足|短板|现象|情况)")
INTRO = re.compile(r"^(在(看到|肯定|充分肯定)|但也|但是也|同时也|也要看到|也要清醒)")


def _sentence_items(text: str, part: Part, paras: list[Para], quoted: list[bool]) -> list[Item]:
    """A problems part without markers: one item per paragraph when its problems take several paragraphs, else
    one per sentence; one per problem of a "存在A、B、C等问题" sentence. What opens the part is no item: the
    sentences that announce it ("在看到成绩的同时，也要看到问题和不足", "我点一些现象，仅供参考", "主要表现在："), and
    neither are wrap-ups ("这些问题…") and what follows them in their paragraph."""
    inside = _lines(text, part.start, part.end)
    units: list[tuple[Para, Sentence]] = []
    for para in inside:
        if WRAP_UP.match(text[para.start:para.end]):
            continue
        for sent in sentences(text, [para], quoted, SENT_END + "；;"):
            if WRAP_UP.match(text[sent.start:sent.end]):
                break
            units.append((para, sent))
    # the lead-in: leading sentences that announce rather than say (what follows a colon is kept)
    body: list[tuple[Para, int, int]] = []
    leading = True
    for para, sent in units:
        start = sent.start
        if leading:
            raw = _unquoted(text, sent.start, sent.end, quoted)
            colon = next((i for i in range(sent.start, sent.end) if text[i] in "：:" and not quoted[i]), None)
            head = raw[:colon - sent.start] if colon is not None else raw
            if _split_list(text, sent.start, sent.end, quoted):
                leading = False
            elif _announces(head) or (colon is not None and _announces(head + "：")):
                if colon is None:
                    continue
                start = colon + 1  # "存在问题：理论学习不够深入。" — what follows the colon is the problem
                while start < sent.end and text[start] in SPACE:
                    start += 1
                if start >= sent.end:
                    continue
            leading = False
        body.append((para, start, sent.end))
    by_paragraph = len({para.start for para, _, _ in body}) > 1
    groups: list[list[int]] = []  # [start, end, sentences] of each item
    last_para = -1
    for para, s, e in body:
        if by_paragraph and groups and para.start == last_para:
            groups[-1][1:] = [e, groups[-1][2] + 1]
        else:
            groups.append([s, e, 1])
        last_para = para.start
    items: list[Item] = []
    for start, end, count in groups:
        pieces: list[Item] = []
        if count == 1:
            pieces = _split_list(text, start, end, quoted)
            if not pieces and not by_paragraph and not PROB_SUBJECT.match(text[start:end]):
                pieces = _split_clauses(text, start, end, quoted)
        if pieces:
            items.extend(pieces)
            continue
        e = end
        while e > start and text[e - 1] in SENT_END + "；;，," + SPACE:
            e -= 1
        if e > start:
            problem = reads_as(text[start:e]) == "problems"
            what = "不带序号的段落" if by_paragraph else "不带序号的句子"
            items.append(Item("", _lead(text, start, e, quoted), text[start:e], None, start, e, start,
                              confidence=0.75 if problem else 0.5,
                              reason=what if problem else what + "，读起来不像问题，请核对"))
    return items


def _announces(sentence: str) -> bool:
    """A sentence that opens a part or introduces a list rather than naming a problem."""
    s = sentence.strip(SPACE)
    return bool(_rule_for(s, RULES) or INTRO.match(s) or META.search(s)) and not (
        PROB_SUBJECT.match(s) and len(s) > 30)


def _split_list(text: str, s: int, e: int, quoted: list[bool]) -> list[Item]:
    """The problems of one "存在A、B、C等问题[，D]" sentence as separate spans, or [] when it is not such a list."""
    sentence = _unquoted(text, s, e, quoted)
    frame = LIST_FRAME.search(sentence)
    if not frame:
        return []
    tail = LIST_END.search(sentence, frame.end())
    if not tail:
        return []
    a, b = s + frame.end(), s + tail.start()
    seps = "、" if "、" in sentence[frame.end():tail.start()] else "，,"
    pieces: list[tuple[int, int]] = []
    p = a
    for i in range(a, b + 1):
        if i == b or (text[i] in seps and not quoted[i]):
            if i > p:
                pieces.append((p, i))
            p = i + 1
    if len(pieces) < 2:
        return []
    texts = [text[x:y] for x, y in pieces]
    # each piece must be a problem by itself ("政绩意识不够牢"), not part of a shared one ("领导力、判断力、执行力不强")
    if not all(len(t) >= 5 and PIECE_PROBLEM.search(t) for t in texts):
        return []
    items = [Item("", t, t, None, x, y, x, confidence=0.85, reason="“存在……等问题”中的一项")
             for (x, y), t in zip(pieces, texts, strict=True)]
    # what the sentence says after "等问题，" is one more problem ("…等问题，没有形成…的责任闭环")
    rest = s + tail.end()
    while rest < e and text[rest] in "，,；;" + SPACE:
        rest += 1
    end = e
    while end > rest and text[end - 1] in SENT_END + "；;，," + SPACE:
        end -= 1
    if end - rest >= 8 and reads_as(text[rest:end]) == "problems":
        items.append(Item("", _lead(text, rest, end, quoted), text[rest:end], None, rest, end, rest,
                          confidence=0.7, reason="“等问题”之后的一句"))
    return items


STRICT_PROBLEM = re.compile(r"不够|不足|不强|不高|不到位|不严|不实|不力|不深|不全|不充分|不规范|不明显|不精细|欠缺|缺乏|"
                            r"薄弱|滞后|偏少|偏弱|较少|有待|弱化|虚化|淡化|流于形式")


def _split_clauses(text: str, s: int, e: int, quoted: list[bool]) -> list[Item]:
    """"理论学习不够深入，组织生活不够规范。": short comma clauses that each name a problem are one item each;
    a clause that explains the one before it ("…比较单一，对流动党员的管理还有盲区") keeps the sentence whole."""
    end = e
    while end > s and text[end - 1] in SENT_END + "；;，," + SPACE:
        end -= 1
    clauses: list[tuple[int, int]] = []
    p = s
    for i in range(s, end + 1):
        if i == end or (text[i] in "，,；;" and not quoted[i]):
            if i > p:
                clauses.append((p, i))
            p = i + 1
    if len(clauses) < 2 or not all(y - x <= 20 and STRICT_PROBLEM.search(text[x:y]) for x, y in clauses):
        return []
    return [Item("", text[x:y], text[x:y], None, x, y, x, confidence=0.7, reason="逗号分开的短句，各说一个问题")
            for x, y in clauses]


def _sentence_around(text: str, item: Item) -> str:
    s = item.start
    while s > 0 and text[s - 1] not in SENT_END + "\n":
        s -= 1
    e = item.end
    while e < len(text) and text[e - 1] not in SENT_END and text[e] != "\n":
        e += 1
    return text[s:e]
