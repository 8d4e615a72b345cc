"""Reading a speech, a 点评 or a report's 存在问题 into structure (issue 7). Pure: no Django models.

Contract (others call it):
    read(text) -> Reading                  # text already decoded
    decode(data, filename) -> str          # .txt (UTF-8 with/without BOM, GBK/GB18030) or .docx; ValueError else
    Reading.as_json() -> {"parts": [{"kind", "start", "end", "items": [{"marker", "lead", "text", "category",
                                      "start", "end", "marker_start", "children": [...]}]}]}
    problems(reading) -> list[Item]        # the problems part's top-level items
    categorise(text) -> str | None         # a category code from rectification.categories, or None

Offsets are character offsets into the text given to `read`; for every item text == source[start:end]. An item's
text is what follows its marker (the marker itself sits at [marker_start, start), e.g. "一是", "1.", "第一，");
items split out of one "存在……等问题" sentence have marker "". `children` are the item's own enumerated list
(1. 2. under 一是, 1. 2. 3. under 一、), same shape; the contract's keys are the others.

How it reads (the genre, domain.md "How the speeches are built"):
1. The body: leading title lines and trailing web-page footers ("本文内容由互联网用户自发贡献", "上一篇" …) are
   cut off; nothing outside the body ends up in a part or an item.
2. Parts, in the genre's order opening → achievements → problems → requirements → closing (any may be
   missing), start at sentences that signal them (RULES below: "一年来，…", "在看到成绩的同时，也要看到问题",
   "下面，我讲几点意见", "同志们，…" after the problems, "我就讲这些" …). A signal never comes from inside a
   quotation or from a sentence that is itself an enumerated item (an agenda's "3.由我…提几点要求").
3. Enumerated items: markers of every style (MARKERS) count only at the start of a clause (paragraph start or
   after 。！？；：，), outside quotation marks, and only as a sequence numbered from one (一是, 二是 …) — so
   "四个意识", "第一责任人", "统一是", "一、二线", "1.5倍" and placeholders (X县, xx, ***, *位同志) are never
   markers. Lists nest by position: a list inside one item of another list is that item's children.
4. A problems part without markers gives one item per sentence (what follows "存在问题：" in its first sentence);
   a "存在A、B、C等问题" sentence gives one item per listed problem (each an exact span) when the pieces are
   problems in themselves (not "领导力、判断力、执行力不强"), and so do short comma clauses that each name one
   ("理论学习不够深入，组织生活不够规范").
5. Problem items get a category from the keyword tables in categorise.py (the sentence around a split piece
   decides when the piece alone does not).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from shuping.speeches.categorise import categorise

__all__ = ["KINDS", "Item", "Part", "Reading", "categorise", "decode", "problems", "read"]

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

    def as_json(self) -> dict[str, Any]:
        return {"marker": self.marker, "lead": self.lead, "text": self.text, "category": self.category,
                "start": self.start, "end": self.end, "marker_start": self.marker_start,
                "children": [c.as_json() for c in self.children]}


@dataclass
class Part:
    kind: str
    start: int
    end: int
    items: list[Item] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "items": [i.as_json() for i in self.items]}


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
    weak: bool = False  # only right after the achievements (a "存在……问题" sentence in an opening is not a turn)


def _r(kind: str, pattern: str, weak: bool = False) -> Rule:
    return Rule(kind, re.compile(pattern), weak)


# Sentences that open a part. Matched against one sentence (split at 。！？；：), outside quotations.
RULES: list[Rule] = [
    # achievements: "一年来，…", "过去一年，…", "总的来看，…", "亮点：", "成绩值得肯定"
    _r("achievements", r"^(一年来|近一年来|过去一年|过去的一年|这一年来|今年以来|近年来|总的来看|总体来看|总的看|"
                       r"总体上看|从述职情况(来)?看|从大家的述职(情况)?(来)?看)"),
    _r("achievements", r"^(主要|工作|突出)?(亮点|成绩|成效|特色|做法)(是|有|在于)?[：:]?$"),
    _r("achievements", r"(亮点|特色)(鲜明|突出|纷呈)|(成效|成绩)(明显|显著|突出|值得肯定)|值得肯定|可圈可点"),
    _r("achievements", r"取得了?(积极|明显|显著|较好|良好|一定)的?(成效|成绩|进展)"),
    # problems: "在看到成绩的同时，也要看到问题和不足", "存在的问题：", "但也存在一些问题"
    _r("problems", r"在(看到|肯定|充分肯定|总结)(成绩|成效|亮点)的?同时"),
    _r("problems", r"(看到|正视|清醒认识到?|清醒地看到|指出)[^。]{0,12}(问题|不足|差距|短板)"),
    _r("problems", r"问题(和|与|及)不足|不足(和|与|及)问题|(差距|短板)(和|与|及)不足"),
    _r("problems", r"^(存在的|主要|突出)?(问题|不足|不足之处|差距)(是|有|主要(是|有|表现在))?[：:]?$"),
    _r("problems", r"^(但|但是|不过|同时)?[，,]?(也|还|仍)?(存在|有)(一些|着|的)?(问题|不足)"),
    _r("problems", r"(还|仍|也|但|不同程度地?)[^。]{0,8}存在", weak=True),
    _r("problems", r"存在[^。]{2,60}等?(方面的?)?(问题|不足|短板)", weak=True),
    # requirements: "下面，我讲几点意见", "再强调三点意见", "建议：", "下一步，要…"
    _r("requirements", r"(讲|提|强调|谈|说)(一下|以下)?(几|[两二三四五六七八九十]|\d+)(点|个方面|条)"),
    _r("requirements", r"^(下一步|下步|今后|希望|建议)[^。]{0,16}(建议|希望|要求|意见)"),
    _r("requirements", r"^(几点|主要|下步|下一步)?(建议|要求|希望|意见|思路)[：:]?$"),
    _r("requirements", r"^(下一步|下步)[，,]"),
]
CLOSING = re.compile(r"我就讲(这些|这么多|到这里)|就讲到这里|谢谢大家|谢谢！|^让我们")
TO_REQUIREMENTS = re.compile(r"^(同志们|同事们)[，,！!]")  # after the problems: the turn to what to do
IMPERATIVE = re.compile(r"^(要|必须|务必|坚持|着力|切实|进一步|持续|始终)")
WRAP_UP = re.compile(r"^(这些问题|上述问题|以上问题|以上|上述|总之|总的来说|总而言之|对此|对这些问题|同志们)")


def _signal_any(sentence: str) -> bool:
    return any(r.pattern.search(sentence) for r in RULES if not r.weak)


def _signal(sentence: str, state: int) -> str | None:
    """The part a sentence opens, given the part we are in (parts only move forward)."""
    best: str | None = None
    for rule in RULES:
        if ORDER[rule.kind] <= state:
            continue
        if rule.weak and state != ORDER["achievements"]:
            continue
        if rule.pattern.search(sentence) and (best is None or ORDER[rule.kind] > ORDER[best]):
            best = rule.kind
    return best


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


def _unquoted(text: str, start: int, end: int, quoted: list[bool]) -> str:
    return "".join(ch if not quoted[start + k] else "＂" for k, ch in enumerate(text[start:end]))


# ---------------------------------------------------------------------------------------------------- reading

PRAISE = re.compile(r"实事求是|思路清晰|措施有力|重点突出|成效明显|扎实|亮点|特色|较好|很好|有力|有效")
PROBLEM_WORDS = re.compile(r"不够|不足|不强|不高|不到位|不严|不实|不力|不深|不全|不充分|不规范|不明显|不精细|不平衡|"
                           r"欠缺|缺乏|缺少|薄弱|滞后|偏少|较少|有待|短板|弱化|虚化|淡化|边缘化|差距|问题|没有|未能|不|缺|弱")


def read(text: str) -> Reading:
    """The parts of a speech / 点评 / 存在问题 text and their enumerated items."""
    quoted = quote_mask(text)
    lo, hi = body_range(text)
    if hi <= lo:
        return Reading(text, [])
    paras = _lines(text, lo, hi)
    markers = find_markers(text, lo, hi, quoted)
    marker_at = {m.start: m for m in markers}
    sents = sentences(text, paras, quoted)
    starts = _part_starts(text, paras, sents, marker_at, quoted, lo, hi)
    parts: list[Part] = []
    for k, (kind, s) in enumerate(starts):
        e = starts[k + 1][1] if k + 1 < len(starts) else hi
        e = _rstrip(text, s, e)
        if e <= s:
            continue
        part = Part(kind, s, e)
        part.items = _items(text, part, markers, paras, quoted)
        if kind == "problems":
            if not part.items:
                part.items = _sentence_items(text, part, paras, quoted)
            for item in part.items:
                item.category = categorise(item.text) or categorise(item.lead)
                if item.category is None and not item.marker:  # a piece of a "存在……等问题" list: its sentence
                    item.category = categorise(_sentence_around(text, item))
        parts.append(part)
    return Reading(text, parts)


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


def _part_starts(text: str, paras: list[Para], sents: list[Sentence], marker_at: dict[int, Marker],
                 quoted: list[bool], lo: int, hi: int) -> list[tuple[str, int]]:
    closing = _closing_start(text, paras, sents, marker_at)
    first = _initial_kind(text, sents, paras, marker_at, quoted, closing if closing is not None else hi)
    starts: list[tuple[str, int]] = [(first, lo)]
    state = ORDER[first]
    para_of = {p.start: p for p in paras}
    for k, sent in enumerate(sents):
        if closing is not None and sent.start >= closing:
            break
        if k == 0:
            continue
        kind: str | None = None
        mk = marker_at.get(sent.start)
        if mk is None:
            kind = _signal(_unquoted(text, sent.start, sent.end, quoted), state)
            if kind is None and state == ORDER["problems"] and sent.para_start and TO_REQUIREMENTS.match(
                    text[sent.start:sent.end]):
                kind = "requirements"
        elif (state == ORDER["problems"] and sent.start in para_of and mk.ordinal == 1
              and IMPERATIVE.match(text[mk.end:mk.end + 4].lstrip("，, "))):
            kind = "requirements"
        if kind is not None:
            starts.append((kind, sent.start))
            state = ORDER[kind]
    if closing is not None:
        starts.append(("closing", closing))
    return starts


def _initial_kind(text: str, sents: list[Sentence], paras: list[Para], marker_at: dict[int, Marker],
                  quoted: list[bool], stop: int) -> str:
    """What the text opens with: a speech's opening, or — for a 点评 or a report's 存在问题 with no opening —
    the part its first sentence signals, or the part its content reads like."""
    if not sents:
        return "opening"
    first = _unquoted(text, sents[0].start, sents[0].end, quoted)
    kind = _signal(first, -1)
    if kind is not None and not SALUTATION.match(first):
        return kind
    head = text[sents[0].start:stop][:200]
    if SALUTATION.match(first) or re.search(r"今天|召开|会议|大会|同志们|各位|这次|本次", head[:60]):
        return "opening"
    if PRAISE.search(first):  # a 点评 opens with what the reporter did well
        return "achievements"
    items = [text[m.end:m.end + 60] for m in marker_at.values() if m.start < stop]
    sample = items or [text[s.start:s.end] for s in sents[:6]]
    if sum(1 for t in sample if PROBLEM_WORDS.search(t.split("。")[0])) * 2 > len(sample):
        return "problems"
    if sum(1 for t in sample if IMPERATIVE.match(t.lstrip("，, "))) * 2 > len(sample):
        return "requirements"
    return "opening"


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


# ---------------------------------------------------------------------------------------------------- items

def _items(text: str, part: Part, markers: list[Marker], paras: list[Para], quoted: list[bool]) -> list[Item]:
    inside = [m for m in markers if part.start <= m.start < part.end]
    runs = sequences(inside)
    return _build(text, part.start, part.end, runs, paras, quoted, top=True)


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
        item = Item(m.text, _lead(text, s, e, quoted), text[s:e], None, s, e, m.start)
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

LIST_FRAME = re.compile(r"(存在着?|暴露出?|表现(为|在)|出现了?)")
LIST_END = re.compile(r"等(方面的?|一系列|一些)?(的)?(问题|不足|短板|现象|情况)")
INTRO = re.compile(r"^(在(看到|肯定|充分肯定)|但也|但是也|同时也|也要看到|也要清醒)")


def _sentence_items(text: str, part: Part, paras: list[Para], quoted: list[bool]) -> list[Item]:
    """A problems part without markers: one item per sentence, and one per problem of a "存在A、B、C等问题"
    sentence. The part's opening sentence ("在看到成绩的同时，也要看到…") and wrap-ups ("这些问题…") are not items."""
    inside = _lines(text, part.start, part.end)
    items: list[Item] = []
    for k, sent in enumerate(sentences(text, inside, quoted, SENT_END)):
        raw = text[sent.start:sent.end]
        if WRAP_UP.match(raw):
            continue
        start = sent.start
        if k == 0:
            colon = next((i for i in range(sent.start, sent.end) if text[i] in "：:" and not quoted[i]), None)
            head = text[sent.start:colon] if colon is not None else raw
            if (colon is not None or len(raw) <= 30) and (
                    _signal_any(head) or INTRO.match(head) or _signal(head, ORDER["achievements"]) == "problems"):
                if colon is None:
                    continue
                start = colon + 1  # "存在问题：理论学习不够深入。" — what follows the colon is the problem
                while start < sent.end and text[start] in SPACE:
                    start += 1
                if start >= sent.end:
                    continue
        pieces = _split_list(text, start, sent.end, quoted) or _split_clauses(text, start, sent.end, quoted)
        if pieces:
            items.extend(pieces)
            continue
        e = sent.end
        while e > start and text[e - 1] in SENT_END + "；;，," + SPACE:
            e -= 1
        if e > start:
            items.append(Item("", _lead(text, start, e, quoted), text[start:e], None, start, e, start))
    return items


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
    if not all(len(t) >= 5 and PROBLEM_WORDS.search(t) for t in texts):
        return []
    items = [Item("", t, t, None, x, y, x) for (x, y), t in zip(pieces, texts, strict=True)]
    # what the sentence says after "等问题，" is one more problem ("…等问题，没有形成…的责任闭环")
    rest = s + tail.end()
    while rest < e and text[rest] in "，,；;" + SPACE:
        rest += 1
    end = e
    while end > rest and text[end - 1] in SENT_END + "；;，," + SPACE:
        end -= 1
    if end - rest >= 8:
        items.append(Item("", _lead(text, rest, end, quoted), text[rest:end], None, rest, end, rest))
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
    return [Item("", text[x:y], text[x:y], None, x, y, x) for x, y in clauses]


def _sentence_around(text: str, item: Item) -> str:
    s = item.start
    while s > 0 and text[s - 1] not in SENT_END + "\n":
        s -= 1
    e = item.end
    while e < len(text) and text[e - 1] not in SENT_END and text[e] != "\n":
        e += 1
    return text[s:e]
