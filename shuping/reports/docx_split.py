"""Word import of a 述职报告: check an uploaded .docx and split it into the report's sections.

Pure (python-docx and lxml only, no Django models). `split_docx(data, filename)` refuses what is not a plain
.docx (old .doc, macro-enabled, encrypted, corrupt, oversized, empty) with a Chinese message naming the file,
then walks the body in order (paragraphs and tables) and starts a section at each recognised heading:
"一、履职情况和成效", "二、存在的问题", "三、原因分析", "三、下一步工作打算", "四、上年度问题整改情况" … numbered
一、/（一）/1./第一部分 or not, in a Heading style, in bold, or as a short numbered line. The heading texts are
matched against a keyword table (`SECTION_PATTERNS`) because every 组织部 words them a little differently.

Nothing is dropped: the title and name/date lines before the first recognised heading, and everything under
a top-level heading that is not recognised, go to `unclassified` (shown to the writer as 未归类). A sub-heading
(a deeper numbering level than the recognised headings, e.g. "（三）巡视反馈问题整改情况" under "一、…") stays in
its section's text even when it contains a keyword.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED = 100 * 1024 * 1024  # the archive's members together (a zip bomb stops here)
SECTION_KEYS = ("performance", "problems", "causes", "plans", "rectification")
SECTION_LABELS = {"performance": "履职情况和成效", "problems": "存在问题", "causes": "原因分析",
                  "plans": "下步思路", "rectification": "上年度问题整改情况"}
UNCLASSIFIED = "unclassified"

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
MAX_HEADING_CHARS = 40  # a heading line (numbering stripped) is short; longer bold text is emphasis
MAX_NUMBERED_HEADING_CHARS = 24  # a numbered line that is not bold/styled must be shorter still

# Heading keywords, per section (regular expressions on the heading text with numbering and spaces stripped).
# Order inside a heading decides when several sections match ("存在问题及下步打算" → problems, with a warning);
# 上年度问题整改情况 wins over everything ("上年度存在问题整改情况" is not a 存在问题 heading).
SECTION_PATTERNS: dict[str, tuple[str, ...]] = {
    "rectification": (
        r"整改(?:落实|推进|工作)?(?:情况|成效|进展|完成|结果|销号)",
        r"(?:上|上一|前一|去)年(?:度)?.*(?:问题|意见|整改)",
        r"(?:述职评议|评议|考核|点评|反馈|巡[视察]|督查).*(?:问题|意见)的?整改",
        r"落实整改",
    ),
    "performance": (
        r"履职(?:尽责)?(?:情况|成效)", r"履行.{0,12}责任.{0,4}情况", r"抓.{0,6}党建工作(?:情况|成效|的?做法)",
        r"党建工作(?:开展)?情况", r"工作(?:开展|落实|完成)?情况(?:和|及|与)?(?:成效|做法)?", r"(?:主要|工作)(?:成效|成绩|做法)",
        r"取得的?(?:成效|成绩)", r"主要工作", r"工作成果", r"做法(?:和|及|与)成效", r"亮点",
    ),
    "problems": (
        r"存在的?(?:主要)?(?:问题|不足|差距|短板)", r"问题(?:和|及|与)(?:不足|差距|短板|原因)",
        r"(?:不足|差距|短板)(?:和|及|与)(?:问题|不足)", r"(?:主要|突出)问题", r"查摆(?:出的?)?问题", r"不足之处",
    ),
    "causes": (r"原因",),
    "plans": (
        r"下一?步", r"今后", r"(?:明年|来年|新的一年|下一年度|下年度)", r"(?:工作)?(?:打算|思路|计划)",
        r"努力方向", r"(?:改进|整改)(?:措施|举措|方向|思路)", r"(?:思路|措施)(?:和|及|与)?(?:举措|措施|打算)",
    ),
}
_COMPILED = {k: [re.compile(p) for p in ps] for k, ps in SECTION_PATTERNS.items()}
# Titles ("关于2024年度抓基层党建工作情况的述职报告") mention the same words; they are never section headings.
TITLE = re.compile(r"(?:述职|报告|汇报)(?:材料|提纲)?$")

CN_DIGITS = "一二三四五六七八九十"
NUMBERING: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("part", 0, re.compile(rf"^第[{CN_DIGITS}\d]+(?:部分|章|节|篇)[、，,.．：:\s]*")),
    ("cn", 1, re.compile(rf"^[{CN_DIGITS}]+\s*[、，,.．：:]\s*")),
    ("paren_cn", 2, re.compile(rf"^[（(]\s*[{CN_DIGITS}]+\s*[）)][、，,.．]?\s*")),
    ("arabic", 3, re.compile(r"^\d{1,2}\s*(?:[、，,．]|\.(?!\d))\s*")),
    ("paren_arabic", 4, re.compile(r"^[（(]\s*\d{1,2}\s*[）)][、.．]?\s*")),
    ("circled", 5, re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩]\s*")),
)
HEADING_FONTS = ("黑体", "SimHei", "楷体", "KaiTi", "小标宋")
HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
TRAILING = "：:。.；;，,、 \t"
CORRUPT = "已损坏，无法读取；请在 Word/WPS 中打开后重新保存为 .docx 再上传"

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class SplitResult:
    sections: dict[str, str]  # performance, problems, causes, plans, rectification
    unclassified: str
    warnings: list[str] = field(default_factory=list)
    headings: list[tuple[str, str]] = field(default_factory=list)  # (heading as written, section key or unclassified)


@dataclass
class _Block:
    text: str  # the whole block (a paragraph, or a table as lines)
    heading: str = ""  # when heading-like: the heading part (a bold lead-in may be followed by body text)
    rest: str = ""  # body text after an inline heading, same paragraph
    numbering: str = ""  # kind of numbering in front of the heading
    rank: int | None = None  # numbering depth (part 0, 一、 1, （一） 2, 1. 3 …)
    style_level: int | None = None  # Heading N


def classify(heading: str) -> tuple[str | None, list[str]]:
    """The section a heading names (or None), and the other sections it also names (for a warning)."""
    text = strip_numbering(heading)[0]
    text = re.sub(r"\s+", "", text).strip(TRAILING)
    if not text or TITLE.search(text):
        return None, []
    if any(p.search(text) for p in _COMPILED["rectification"]):
        return "rectification", []
    found: list[tuple[int, str]] = []
    for key in ("performance", "problems", "causes", "plans"):
        starts = [m.start() for p in _COMPILED[key] if (m := p.search(text))]
        if starts:
            found.append((min(starts), key))
    if not found:
        return None, []
    found.sort()
    keys = [k for _, k in found]
    if "problems" in keys and "causes" in keys:  # "存在问题及原因" is one part of the report
        return "problems", [k for k in keys if k != "problems"]
    return keys[0], keys[1:]


def strip_numbering(text: str) -> tuple[str, str, int | None]:
    """(text without its leading numbering, numbering kind, rank)."""
    stripped = text.strip()
    for kind, rank, pattern in NUMBERING:
        m = pattern.match(stripped)
        if m and m.end() < len(stripped):
            return stripped[m.end():], kind, rank
    return stripped, "", None


def _refuse(filename: str, reason: str) -> ValidationError:
    return ValidationError(f"“{filename}”{reason}")


def check_file(data: bytes, filename: str) -> None:
    """Raise ValidationError unless `data` looks like a plain .docx we may open."""
    if len(data) > MAX_BYTES:
        size = len(data) / 1024 / 1024
        raise _refuse(filename, f"过大（{size:.1f} MB），上限 {MAX_BYTES // 1024 // 1024} MB；"
                                "请压缩或删除文中的图片后再上传")
    if not data:
        raise _refuse(filename, "是空文件")
    if data.startswith(OLE_MAGIC):
        # Word's "加密文档" (打开密码) is an OLE container holding the encrypted package, like the old .doc.
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise _refuse(filename, "已加密（设置了打开密码），无法读取；请在 Word/WPS 中取消密码后另存为 .docx 再上传")
        raise _refuse(filename, "是旧版 Word 97-2003 文档（.doc），无法读取；请在 Word/WPS 中“另存为”"
                                "“Word 文档（.docx）”后上传")
    if not data.startswith(ZIP_MAGIC):
        raise _refuse(filename, "不是 Word 文档（.docx）；请上传用 Word/WPS 保存的 .docx 文件")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename.lower(): m.filename for m in members}
            if "[content_types].xml" not in names:
                raise _refuse(filename, "不是 Word 文档（.docx）：压缩包里没有 [Content_Types].xml")
            content_types = archive.read(names["[content_types].xml"])
            if any(n.endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types:
                raise _refuse(filename, "含有宏（启用宏的 .docm 文档），出于安全考虑不予接收；请在 Word/WPS 中"
                                        "“另存为”“Word 文档（.docx）”后上传")
            if "word/document.xml" not in names:
                raise _refuse(filename, "不是 Word 文档（.docx）：压缩包里没有 Word 正文（word/document.xml），"
                                        "可能是 Excel、PowerPoint 或其他压缩文件")
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                raise _refuse(filename, "解压后过大，无法读取")
            if any(m.flag_bits & 0x1 for m in members):
                raise _refuse(filename, "已加密，无法读取；请取消密码后另存为 .docx 再上传")
            if archive.testzip() is not None:
                raise _refuse(filename, CORRUPT)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, RuntimeError, ValueError, EOFError) as e:
        raise _refuse(filename, CORRUPT) from e


def split_docx(data: bytes, filename: str) -> SplitResult:
    """Check the file, then split its text into the report's sections (see the module docstring)."""
    check_file(data, filename)
    try:
        import docx  # python-docx

        document = docx.Document(io.BytesIO(data))
        blocks = list(_blocks(document))
    except ValidationError:
        raise
    except Exception as e:  # python-docx and lxml raise many kinds of errors for damaged parts
        raise _refuse(filename, "已损坏或不是有效的 Word 文档，无法读取；请在 Word/WPS 中打开后重新保存为 .docx") from e
    if not any(b.text.strip() for b in blocks):
        raise _refuse(filename, "是空白文档，没有可导入的文字")
    result = _split(blocks)
    body = document.element.body
    if body.find(f".//{W}ins") is not None or body.find(f".//{W}del") is not None:
        result.warnings.insert(0, "文档含有未处理的修订（修订模式）：已按“接受全部修订”后的文字导入，请核对")
    return result


# --- reading the document -------------------------------------------------------------------------------

def _blocks(document: Any) -> Iterator[_Block]:
    """Paragraphs and tables of the body, in order (content controls opened up)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    def walk(parent: Any) -> Iterator[_Block]:
        for child in parent.iterchildren():
            if child.tag == f"{W}p":
                yield _paragraph_block(Paragraph(child, document._body))
            elif child.tag == f"{W}tbl":
                yield _Block(text=_table_text(Table(child, document._body)))
            elif child.tag == f"{W}sdt":
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    yield from walk(content)

    yield from walk(document.element.body)


def _own_text(p_element: Any) -> str:
    """A paragraph's text, tracked insertions included, deletions and text boxes left out."""
    parts: list[str] = []
    for el in p_element.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"):
        # Text boxes hold paragraphs of their own (and a fallback copy): only this paragraph's text.
        owner = next(el.iterancestors(f"{W}p"), None)
        if owner is not p_element:
            continue
        if el.tag == f"{W}t":
            parts.append(el.text or "")
        elif el.tag == f"{W}tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _bold(run: Any, paragraph: Any) -> bool:
    if run.bold is not None:
        return bool(run.bold)
    style = run.style
    while style is not None:
        if style.font.bold is not None:
            return bool(style.font.bold)
        style = style.base_style
    style = paragraph.style
    while style is not None:
        if style.font.bold is not None:
            return bool(style.font.bold)
        style = style.base_style
    return False


def _heading_font(run: Any, paragraph: Any) -> bool:
    """公文 headings are often set in 黑体 (or 楷体 for the second level) rather than in bold."""
    for rpr in (run._r.rPr, paragraph.style.element.rPr if paragraph.style is not None else None):
        fonts = rpr.find(f"{W}rFonts") if rpr is not None else None
        name = (fonts.get(f"{W}eastAsia") or fonts.get(f"{W}ascii") or "") if fonts is not None else ""
        if name:
            return any(k in name for k in HEADING_FONTS)
    return False


def _style_level(paragraph: Any) -> int | None:
    style = paragraph.style
    while style is not None:
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 0
        m = HEADING_STYLE.match(name)
        if m:
            return int(m.group(1))
        style = style.base_style
    return None


def _paragraph_block(paragraph: Any) -> _Block:
    text = _own_text(paragraph._p).strip()
    block = _Block(text=text)
    if not text:
        return block
    level = _style_level(paragraph)
    stripped, kind, _ = strip_numbering(text)
    compact = re.sub(r"\s+", "", stripped).rstrip(TRAILING)
    short = len(compact) <= MAX_HEADING_CHARS
    runs = [r for r in paragraph.runs if r.text.strip()]
    styled = level is not None and short
    whole = bool(runs) and short and "".join(r.text for r in runs).strip() == text
    all_bold = whole and all(_bold(r, paragraph) or _heading_font(r, paragraph) for r in runs)
    numbered_line = bool(kind) and len(compact) <= MAX_NUMBERED_HEADING_CHARS and not re.search(r"[。；;]", compact)
    if styled or all_bold or numbered_line:
        block.heading = text
    elif runs and _bold(runs[0], paragraph):
        # A bold lead-in followed by plain text: "一、履职情况和成效。今年以来，我……"
        lead = ""
        for r in runs:
            if not _bold(r, paragraph):
                break
            lead += r.text
        lead = lead.strip()
        if lead and text.startswith(lead) and len(lead) < len(text) \
                and len(strip_numbering(lead)[0]) <= MAX_HEADING_CHARS:
            block.heading, block.rest = lead, text[len(lead):].strip().lstrip("：:。").strip()
    if block.heading:
        _, block.numbering, block.rank = strip_numbering(block.heading)
        block.style_level = level
    return block


def _table_text(table: Any) -> str:
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # merged cells repeat
                continue
            seen.add(id(cell._tc))
            value = "\n".join(_own_text(p) for p in cell._tc.iter(f"{W}p")).strip()
            cells.append(value.replace("\n", " "))
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)


# --- splitting ------------------------------------------------------------------------------------------

def _split(blocks: list[_Block]) -> SplitResult:
    classified = [(b, *classify(b.heading)) if b.heading else (b, None, []) for b in blocks]
    candidates = [b for b, key, _ in classified if key]
    # The level of the report's section headings: the shallowest numbering/Heading style among recognised
    # headings. Deeper ones are sub-headings inside a section.
    ranks = [b.rank for b in candidates if b.rank is not None]
    top_rank = min(ranks) if ranks else None
    levels = [b.style_level for b in candidates if b.style_level]
    top_level = min(levels) if levels else None

    def deeper(b: _Block) -> bool:
        if b.rank is not None and top_rank is not None and b.rank > top_rank:
            return True
        return bool(b.style_level and top_level and b.style_level > top_level and b.rank is None)

    def top(b: _Block) -> bool:
        """An unrecognised heading at the sections' level: what follows it is not part of the section above."""
        if b.rank is not None and top_rank is not None:
            return b.rank == top_rank
        if b.style_level and top_level:
            return b.style_level == top_level and b.rank is None
        return False

    parts: dict[str, list[str]] = {k: [] for k in (*SECTION_KEYS, UNCLASSIFIED)}
    seen: list[str] = []
    warnings: list[str] = []
    headings: list[tuple[str, str]] = []
    current = UNCLASSIFIED
    for block, key, also in classified:
        if key and not deeper(block):
            if key in seen:
                warnings.append(f"“{SECTION_LABELS[key]}”出现了不止一次（“{block.heading}”），已合并在一起，请核对")
            seen.append(key)
            current = key
            headings.append((block.heading, key))
            if also:
                others = "、".join(f"“{SECTION_LABELS[k]}”" for k in also)
                warnings.append(f"标题“{block.heading}”同时包含{others}，已全部归入“{SECTION_LABELS[key]}”，请核对后分开")
            if block.rest:
                parts[current].append(block.rest)
            continue
        if block.heading and not key and top(block) and seen:
            current = UNCLASSIFIED
            headings.append((block.heading, UNCLASSIFIED))
        if block.text:
            parts[current].append(block.text)
    result = SplitResult(sections={k: "\n\n".join(parts[k]) for k in SECTION_KEYS},
                         unclassified="\n\n".join(parts[UNCLASSIFIED]), warnings=warnings, headings=headings)
    if not seen:
        result.warnings.append("没有识别出任何部分的标题（如“一、履职情况和成效”“二、存在问题”），全文已放入“未归类”，"
                               "请手动分到各部分")
        return result
    missing = [SECTION_LABELS[k] for k in SECTION_KEYS if k not in seen
               and not (k == "causes" and any("causes" in also for _, key, also in classified if key == "problems"))]
    if missing:
        result.warnings.append("未找到以下部分的标题：" + "、".join(f"“{m}”" for m in missing) + "，请在对应栏目中补写")
    if result.unclassified:
        n = len(parts[UNCLASSIFIED])
        result.warnings.append(f"有 {n} 段文字未能归入任何部分（标题、署名等），已放入“未归类”，请核对")
    return result
