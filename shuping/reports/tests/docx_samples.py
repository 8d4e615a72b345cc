"""Word documents for the import tests, built in code with python-docx (no binary fixtures).

`build(items)` takes a list of (kind, text) pairs: "title", "p" (body paragraph), "h1"/"h2" (Heading 1/2 style),
"bold" (a paragraph in bold runs), "heiti" (in 黑体, not bold), "lead" (bold lead-in + plain text: text is "lead|rest"), "table"
(text is rows separated by "\\n", cells by "|"), "ins" (a paragraph whose text is a tracked insertion),
"textbox" (a paragraph carrying a text box with the given text), "blank".
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

Item = tuple[str, str]


def build(items: list[Item]) -> bytes:
    document = docx.Document()
    for kind, text in items:
        if kind == "title":
            p = document.add_paragraph()
            p.alignment = 1
            run = p.add_run(text)
            run.font.size = Pt(22)
        elif kind == "p":
            document.add_paragraph(text)
        elif kind == "h1":
            document.add_heading(text, level=1)
        elif kind == "h2":
            document.add_heading(text, level=2)
        elif kind == "bold":
            document.add_paragraph().add_run(text).bold = True
        elif kind == "heiti":  # a 公文 heading: 黑体, not bold
            run = document.add_paragraph().add_run(text)
            rpr = run._r.get_or_add_rPr()
            rpr.insert(0, parse_xml(f'<w:rFonts {nsdecls("w")} w:ascii="黑体" w:hAnsi="黑体" w:eastAsia="黑体"/>'))
        elif kind == "lead":
            lead, rest = text.split("|", 1)
            p = document.add_paragraph()
            p.add_run(lead).bold = True
            p.add_run(rest)
        elif kind == "table":
            rows = [r.split("|") for r in text.split("\n")]
            table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell
        elif kind == "ins":
            p = document.add_paragraph()
            p._p.append(parse_xml(
                f'<w:ins {nsdecls("w")} w:id="1" w:author="秘书" w:date="2025-01-01T00:00:00Z">'
                f"<w:r><w:t>{text}</w:t></w:r></w:ins>"))
            p._p.append(parse_xml(
                f'<w:del {nsdecls("w")} w:id="2" w:author="秘书" w:date="2025-01-01T00:00:00Z">'
                "<w:r><w:delText>删掉的旧句子。</w:delText></w:r></w:del>"))
        elif kind == "textbox":
            p = document.add_paragraph("正文段落。")
            p._p.append(parse_xml(
                f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox><w:txbxContent>'
                f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>"))
        elif kind == "blank":
            document.add_paragraph("")
        else:  # pragma: no cover - a typo in a test
            raise ValueError(kind)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


PERFORMANCE = "今年以来，我认真履行党建工作第一责任人职责，全年专题研究党建工作12次。"
PERFORMANCE_2 = "推进软弱涣散党组织整顿，3个后进支部全部转化。"
PROBLEMS = "一是理论学习不够深入；二是党务干部队伍力量薄弱。"
CAUSES = "主要是抓党建的责任意识还不够强，重业务轻党建的思想仍然存在。"
PLANS = "下一步，我将坚持把抓好党建作为最大政绩，持续推进网格化管理。"
RECTIFICATION = "针对上年度评议指出的“党群服务中心利用率不高”问题，已完成改造并常态化开放。"


def standard(heading: str = "h1", numbers: tuple[str, ...] = ("一、", "二、", "三、", "四、", "五、")) -> list[Item]:
    """A typical report: title, name line, five sections with the given heading kind and numbering."""
    n = numbers
    return [
        ("title", "东城街道党工委书记钱东明同志2024年度抓基层党建工作述职报告"),
        ("p", "东城街道党工委书记  钱东明"),
        ("p", "2025年1月10日"),
        (heading, f"{n[0]}履职情况和成效"),
        ("p", PERFORMANCE),
        ("p", PERFORMANCE_2),
        (heading, f"{n[1]}存在的问题"),
        ("p", PROBLEMS),
        (heading, f"{n[2]}原因分析"),
        ("p", CAUSES),
        (heading, f"{n[3]}下一步工作打算"),
        ("p", PLANS),
        (heading, f"{n[4]}上年度问题整改情况"),
        ("p", RECTIFICATION),
    ]


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    """The .docx with one more member in its archive."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(name, content)
    return out.getvalue()


def replacing(data: bytes, name: str, transform: object) -> bytes:
    """The .docx with one member's bytes passed through `transform` (a callable)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == name:
                content = transform(content)  # type: ignore[operator]
            dst.writestr(item, content)
    return out.getvalue()


def without_member(data: bytes, name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != name:
                dst.writestr(item, src.read(item.filename))
    return out.getvalue()


def ole_file(streams: tuple[str, ...] = ("WordDocument",)) -> bytes:
    """Bytes that start like an OLE compound file (an old .doc, or an encrypted .docx) with the stream names."""
    body = b"".join(s.encode("utf-16-le") + b"\x00" * 8 for s in streams)
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504 + body + b"\x00" * 1024


def first_run_east_asia(paragraph: object) -> str | None:
    """The w:eastAsia font of a paragraph's first run (None when unset)."""
    run = paragraph.runs[0]  # type: ignore[attr-defined]
    rpr = run._r.rPr
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None
