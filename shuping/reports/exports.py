"""Exports of 述职报告: one report as a Word file in official layout, a campaign's reports as one bound PDF.

`report_docx(report)` lays the report out like a 公文 (GB/T 9704): A4, margins 3.7/3.5/2.8/2.6 cm, title in
方正小标宋简体 22 pt, section headings "一、…" in 黑体 16 pt, body in 仿宋 16 pt on a fixed 28 pt line, page numbers
"— 1 —" in the footer. Word picks a font by its East Asian name (w:eastAsia), so every run names its Chinese
font there; the font table gives each a Chinese charset, family and alternative name, so Word or WPS without
方正小标宋 falls back to a 宋体-like face (and LibreOffice to an installed CJK font) instead of a Latin one.

`bound_pdf(campaign, reports)` is the 汇编: cover, table of contents with page numbers (reportlab platypus,
two passes: multiBuild), each report on a new page, "— n —" page numbers. Chinese in the PDF needs the
WenQuanYi Micro Hei font file (bin/setup installs fonts-wqy-microhei), as for the ballot sheets.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from shuping.campaigns.models import Campaign
from shuping.core.numerals import chinese_number
from shuping.reports.models import SECTIONS, UNCLASSIFIED, PriorAnswer, Report, ReportState

BOUND_STATES = (ReportState.SUBMITTED, ReportState.APPROVED)

# Word fonts: (East Asian name, Latin name). The font table entries below describe the Chinese ones.
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
BODY_FONT = "仿宋"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
# name → (alternative name, family, panose): charset 86 = GB2312.
FONT_TABLE = {
    TITLE_FONT: ("宋体", "roman", "02000000000000000000"),
    HEADING_FONT: ("SimHei", "modern", "02010609060101010101"),
    SUBHEADING_FONT: ("KaiTi", "modern", "02010609060101010101"),
    BODY_FONT: ("FangSong", "modern", "02010609060101010101"),
    PAGE_NUMBER_FONT: ("SimSun", "auto", "02010600030101010101"),
}


def title_of(report: Report) -> str:
    return f"{report.participant.secretary.name}同志抓基层党建工作述职报告"


def byline_of(report: Report) -> str:
    p = report.participant
    position = p.secretary.position or "书记"
    return f"{p.unit.name}{'' if p.unit.name.endswith(position) else position}　{p.secretary.name}"


def paragraphs(text: str) -> list[str]:
    """A section's text as paragraphs: every non-blank line is one."""
    return [line.strip() for line in re.split(r"\r?\n", text or "") if line.strip()]


def prior_answers(report: Report) -> list[PriorAnswer]:
    return list(report.prior_answers.select_related("entry__campaign").order_by("entry__created_at", "entry__pk"))


def outline(report: Report) -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    """The report's parts in order, as (heading, paragraphs, [(prior problem, answer)]); empty parts left out,
    except 上年度问题整改情况 when there are last year's problems to answer. Text not placed by the Word import
    comes last as 附：未归类内容, so nothing written is missing from an export."""
    sections = report.sections or {}
    parts: list[tuple[str, list[str], list[tuple[str, str]]]] = []
    n = 0
    for key, label in SECTIONS:
        items = ([(a.entry.problem, a.answer) for a in prior_answers(report)]
                 if key == "rectification" else [])
        body = paragraphs(sections.get(key, ""))
        if not body and not items:
            continue
        parts.append((f"{chinese_number(n + 1)}、{label}", body, items))
        n += 1
    rest = paragraphs(sections.get(UNCLASSIFIED[0], ""))
    if rest:
        parts.append((f"附：{UNCLASSIFIED[1]}内容", rest, []))
    return parts


def state_line(report: Report) -> str:
    bits = [report.get_state_display()]
    if report.submitted_at:
        bits.append(f"提交于 {timezone.localtime(report.submitted_at):%Y-%m-%d}")
    if report.late:
        bits.append("逾期提交")
    if report.signed_by_name:
        bits.append(f"书记确认：{report.signed_by_name}")
    return " · ".join(bits)


# --- Word ------------------------------------------------------------------------------------------------

def report_docx(report: Report) -> bytes:
    """The report as a .docx in official layout (see the module docstring)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Cm, Pt

    document = docx.Document()
    _describe_fonts(document)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.5)

    normal = document.styles["Normal"]
    normal.font.size = Pt(16)
    _fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    _east_asian_language(document)

    def add(text: str, font: str, size: float, *, center: bool = False, indent: bool = False,
            bold: bool = False, line: float = 28, after: float = 0) -> Any:
        p = document.add_paragraph()
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
        fmt.space_after = Pt(after)
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if indent:
            fmt.first_line_indent = Pt(size * 2)  # two characters
        run = p.add_run(text)
        run.font.size = Pt(size)
        run.bold = bold or None
        _fonts(run._r.get_or_add_rPr(), font)
        return p

    add(title_of(report), TITLE_FONT, 22, center=True, line=38, after=6)
    add(byline_of(report), SUBHEADING_FONT, 16, center=True, after=16)
    for heading, body, items in outline(report):
        add(heading, HEADING_FONT, 16, indent=True)
        for text in body:
            add(text, BODY_FONT, 16, indent=True)
        for i, (problem, answer) in enumerate(items):
            add(f"（{chinese_number(i + 1)}）{problem}", SUBHEADING_FONT, 16, indent=True)
            for text in paragraphs(answer) or ["（未作答）"]:
                add(text, BODY_FONT, 16, indent=True)
    _page_numbers(section.footer)
    document.core_properties.title = title_of(report)
    document.core_properties.author = report.participant.secretary.name
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _fonts(rpr: Any, east_asia: str) -> None:
    """Name the Chinese font (w:eastAsia) and the Latin one explicitly; theme fonts would override them."""
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), LATIN_FONT)
    fonts.set(qn("w:hint"), "eastAsia")


def _east_asian_language(document: Any) -> None:
    """Document defaults: Chinese as the East Asian language, no theme fonts (they would win over ours)."""
    from docx.oxml.ns import qn

    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None
    if rpr is None:
        return
    _fonts(rpr, BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _describe_fonts(document: Any) -> None:
    """Add the Chinese fonts to the font table (charset GB2312, family, alternative name) for substitution."""
    from lxml import etree

    part = next(r.target_part for r in document.part.rels.values() if r.reltype.endswith("/fontTable"))
    root = etree.fromstring(part.blob)
    w = root.nsmap["w"]
    for name, (alt, family, panose) in FONT_TABLE.items():
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        etree.SubElement(font, f"{{{w}}}altName", {f"{{{w}}}val": alt})
        etree.SubElement(font, f"{{{w}}}panose1", {f"{{{w}}}val": panose})
        etree.SubElement(font, f"{{{w}}}charset", {f"{{{w}}}val": "86"})
        etree.SubElement(font, f"{{{w}}}family", {f"{{{w}}}val": family})
        etree.SubElement(font, f"{{{w}}}pitch", {f"{{{w}}}val": "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_numbers(footer: Any) -> None:
    """"— 1 —" centred: a PAGE field between two dashes, 宋体 14 pt (四号)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def run(text: str = "") -> Any:
        r = p.add_run(text)
        r.font.size = Pt(14)
        _fonts(r._r.get_or_add_rPr(), PAGE_NUMBER_FONT)
        return r

    run("— ")
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run()._r.append(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run()._r.append(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run()._r.append(separate)
    run("1")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run()._r.append(end)
    run(" —")


def docx_name(report: Report) -> str:
    p = report.participant
    return f"{p.campaign.year}年度述职报告-{p.unit.name}-{p.secretary.name}.docx"


# --- bound PDF -------------------------------------------------------------------------------------------

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT = "WQYMicroHei"


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        if not FONT_PATH.exists():
            raise ValidationError(f"缺少中文字体文件 {FONT_PATH}，无法生成 PDF。请安装文泉驿微米黑字体"
                                  "（Debian/Ubuntu：apt-get install fonts-wqy-microhei）后重试。")
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH), subfontIndex=0))
    return FONT


def bound_reports(campaign: Campaign, include_all: bool = False) -> QuerySet[Report]:
    """The reports of the 汇编, in the campaign's order (述职方式, 述职顺序, unit order): submitted and approved
    ones by default, every report (drafts and returned ones too) with `include_all`."""
    qs = (Report.objects.filter(participant__campaign=campaign)
          .select_related("participant__unit", "participant__secretary", "participant__campaign")
          .prefetch_related("prior_answers__entry")
          .order_by("participant__mode", "participant__speaking_order", "participant__unit__sort_order",
                    "participant__unit__code"))
    if not include_all:
        qs = qs.filter(state__in=BOUND_STATES)
    return qs


def toc_label(report: Report) -> str:
    p = report.participant
    return f"{p.unit.name}　{p.secretary.name}"


def bound_pdf(campaign: Campaign, reports: Iterable[Report], *, include_all: bool = False) -> bytes:
    """The 汇编 of `reports` (see bound_reports) as PDF bytes. With `include_all`, each report shows its state."""
    from reportlab.lib.colors import Color
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import BaseDocTemplate, Frame, NextPageTemplate, PageBreak, PageTemplate, Paragraph, Spacer
    from reportlab.platypus.tableofcontents import TableOfContents

    font = _font()
    reports = list(reports)
    grey = Color(0.4, 0.4, 0.4)

    def style(name: str, size: float, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=kw.pop("leading", size * 1.6),
                              wordWrap="CJK", **kw)

    # The campaign's title on one line when it fits at 16 pt or more (a 24-character title broken after 23
    # characters looks accidental), else wrapped at 16 pt.
    from reportlab.pdfbase.pdfmetrics import stringWidth

    width = A4[0] - (2.8 + 2.6) * cm
    size = max(16.0, min(24.0, 0.95 * width / max(stringWidth(campaign.title, font, 1), 1)))
    cover_title = style("CoverTitle", size, alignment=TA_CENTER, leading=size * 1.6)
    cover_sub = style("CoverSub", 30, alignment=TA_CENTER, leading=44)
    cover_line = style("CoverLine", 15, alignment=TA_CENTER)
    toc_head = style("TocHead", 20, alignment=TA_CENTER, spaceAfter=18)
    report_title = style("ReportTitle", 18, alignment=TA_CENTER, leading=28, spaceAfter=6)
    byline = style("Byline", 13, alignment=TA_CENTER, spaceAfter=4)
    state = style("State", 9.5, alignment=TA_CENTER, textColor=grey, spaceAfter=14)
    heading = style("SectionHeading", 13.5, spaceBefore=8, spaceAfter=2)
    subheading = style("SubHeading", 12, firstLineIndent=24, spaceBefore=2)
    body = style("Body", 12, firstLineIndent=24, alignment=TA_JUSTIFY, leading=21)
    empty = style("Empty", 12, alignment=TA_CENTER, textColor=grey)

    class Doc(BaseDocTemplate):
        def afterFlowable(self, flowable: Any) -> None:
            if isinstance(flowable, Paragraph) and flowable.style.name == "ReportTitle":
                label = getattr(flowable, "toc_label", flowable.getPlainText())
                key = f"report-{getattr(flowable, 'report_pk', 0)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(label, key, level=0)
                self.notify("TOCEntry", (0, escape(label), self.page, key))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 10.5)
        canvas.drawCentredString(A4[0] / 2, 1.6 * cm, f"— {doc.page} —")
        canvas.restoreState()

    out = io.BytesIO()
    doc = Doc(out, pagesize=A4, leftMargin=2.8 * cm, rightMargin=2.6 * cm, topMargin=3.2 * cm, bottomMargin=3 * cm,
              title=f"{campaign.title} 述职报告汇编", author=campaign.committee.name, creator="述评 Shuping")
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="main")
    doc.addPageTemplates([PageTemplate(id="cover", frames=[frame]),
                          PageTemplate(id="body", frames=[frame], onPage=footer)])

    when = campaign.meeting_date or timezone.localdate()
    story: list[Any] = [
        Spacer(1, 5 * cm), Paragraph(escape(campaign.title), cover_title), Spacer(1, 1.2 * cm),
        Paragraph("述职报告汇编", cover_sub), Spacer(1, 6 * cm),
        Paragraph(escape(campaign.committee.name), cover_line),
        Paragraph(f"{when.year}年{when.month}月", cover_line),
        Paragraph(f"共 {len(reports)} 份{'（含未提交）' if include_all else ''}", cover_line),
        NextPageTemplate("body"), PageBreak(),
        Paragraph("目　录", toc_head),
    ]
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [style("TocEntry", 12, leftIndent=0, firstLineIndent=0, leading=22)]
    story.append(toc if reports else Paragraph("暂无已提交的述职报告", empty))
    for report in reports:
        story.append(PageBreak())
        title = Paragraph(escape(title_of(report)), report_title)
        title.toc_label = toc_label(report)  # type: ignore[attr-defined]
        title.report_pk = report.pk  # type: ignore[attr-defined]
        story += [title, Paragraph(escape(byline_of(report)), byline), Paragraph(escape(state_line(report)), state)]
        parts = outline(report)
        if not parts:
            story.append(Paragraph("（报告尚无内容）", empty))
        for head, texts, items in parts:
            story.append(Paragraph(escape(head), heading))
            story += [Paragraph(escape(t), body) for t in texts]
            for i, (problem, answer) in enumerate(items):
                story.append(Paragraph(escape(f"（{chinese_number(i + 1)}）{problem}"), subheading))
                story += [Paragraph(escape(t), body) for t in paragraphs(answer) or ["（未作答）"]]
    doc.multiBuild(story)
    return out.getvalue()


def bound_name(campaign: Campaign) -> str:
    return f"{campaign.year}年度述职报告汇编.pdf"

