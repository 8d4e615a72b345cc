"""The meeting's Word documents (python-docx), in the layout of 党政机关公文 (GB/T 9704):

- `running_order(meeting)`: 会议议程 and the 主持词 skeleton with the reporters' names in speaking order;
- `minutes(meeting)`: 会议记录 with the time of each agenda item (AgendaItem times and the control log
  MeetingAction), overruns, attendance, absences and substitutes, and each 点评 with its tagged problems.

A4 with margins top 3.7, bottom 3.5, left 2.8, right 2.6 cm; title 方正小标宋简体 22 pt centred, body
仿宋_GB2312 16 pt (三号) at a fixed 28 pt line, headings 黑体 / 楷体_GB2312. Runs name the official font as
their East Asian font (w:eastAsia), as office templates do; the font table gives Word a fallback for each
(w:altName: 仿宋, 宋体, 黑体, 楷体, present on every Chinese Windows), and viewers on Linux (LibreOffice,
WPS) fall back through fontconfig to the CJK fonts installed (fonts-noto-cjk / wqy).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from shuping.accounts.models import Role, User
from shuping.campaigns.models import Participant, ParticipantMode
from shuping.core.numerals import chinese_number
from shuping.meetings.commentary import problem_rows
from shuping.meetings.models import AgendaItem, Commentary, ItemKind, Meeting, MeetingAction

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
# Word's substitute when the official font is missing (w:altName in the font table).
ALT_NAMES = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", HEADING_FONT: "SimHei", SUBHEADING_FONT: "楷体"}
TITLE_PT = 22
BODY_PT = 16
LINE_PT = 28


def duration(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = round(abs(ms) / 1000)
    m, s = divmod(seconds, 60)
    return f"{m}分{s:02d}秒" if m else f"{s}秒"


def clock(at: datetime | None, seconds: bool = True) -> str:
    if at is None:
        return ""
    return timezone.localtime(at).strftime("%H:%M:%S" if seconds else "%H:%M")


# --- layout ------------------------------------------------------------------------------------------

def _font(run, east_asia: str, size: int, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    run.font.size = Pt(size)
    run.font.name = LATIN_FONT
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _fixed_line(p: Paragraph, before: int = 0, after: int = 0) -> None:
    f = p.paragraph_format
    f.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    f.line_spacing = Pt(LINE_PT)
    f.space_before = Pt(before)
    f.space_after = Pt(after)


def _font_table(doc) -> None:  # type: ignore[no-untyped-def]
    """Declare the official fonts with their fallbacks (charset 86 = GB2312)."""
    for part in doc.part.package.iter_parts():
        if str(part.partname) != "/word/fontTable.xml":
            continue
        root = parse_xml(part.blob)
        w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
        for name, alt in ALT_NAMES.items():
            root.append(parse_xml(
                f'<w:font xmlns:w="{w}" w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
                f'<w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'))
        from lxml import etree

        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def new_document():  # type: ignore[no-untyped-def]
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _font_table(doc)
    return doc


def title(doc, text: str) -> Paragraph:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(LINE_PT)
    p.paragraph_format.line_spacing = Pt(36)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    _font(p.add_run(text), TITLE_FONT, TITLE_PT)
    return p


def subtitle(doc, text: str) -> Paragraph:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fixed_line(p, after=6)
    _font(p.add_run(text), SUBHEADING_FONT, BODY_PT)
    return p


def heading(doc, text: str, level: int = 1) -> Paragraph:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    _fixed_line(p)
    _font(p.add_run(text), HEADING_FONT if level == 1 else SUBHEADING_FONT, BODY_PT, bold=level > 2)
    return p


def para(doc, text: str, indent: bool = True, bold_lead: str = "") -> Paragraph:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    _fixed_line(p)
    if bold_lead:
        _font(p.add_run(bold_lead), BODY_FONT, BODY_PT, bold=True)
    _font(p.add_run(text), BODY_FONT, BODY_PT)
    return p


def table(doc, header: list[str], rows: Iterable[list[str]], size: int = 12):  # type: ignore[no-untyped-def]
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(t.rows[0].cells, header, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(text), HEADING_FONT, size)
    for row in rows:
        cells = t.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            _font(cell.paragraphs[0].add_run(text), BODY_FONT, size)
    return t


def to_bytes(doc) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- content -----------------------------------------------------------------------------------------

def _items(meeting: Meeting) -> list[AgendaItem]:
    return list(meeting.items.select_related("participant__unit", "participant__secretary").order_by("position"))


def person(p: Participant) -> str:
    return p.secretary.name if p.secretary_id else p.unit.name


def _chair_name() -> str:
    """The 点评领导 when there is exactly one chair account, else a blank for the host to fill."""
    chairs = list(User.objects.filter(is_active=True, roles__role=Role.CHAIR).distinct()[:2])
    if len(chairs) == 1 and chairs[0].display_name:
        return chairs[0].display_name
    return "＿＿＿"


def _meeting_name(meeting: Meeting) -> str:
    t = meeting.campaign.title.strip()
    if "述职评议会" in t:
        return t
    return f"{t}会" if t.endswith("述职评议") else f"{t}述职评议会"


def _date(meeting: Meeting) -> str:
    c = meeting.campaign
    day = c.meeting_date or (timezone.localtime(meeting.started_at).date() if meeting.started_at else None)
    return f"{day.year}年{day.month}月{day.day}日" if day else "＿＿年＿＿月＿＿日"


def running_order(meeting: Meeting) -> bytes:
    """会议议程, then the 主持词 skeleton (the host reads it; names and order from the agenda)."""
    items = _items(meeting)
    reports = [it for it in items if it.kind == ItemKind.REPORT and it.participant_id]
    written = list(meeting.campaign.participants.filter(mode=ParticipantMode.WRITTEN).select_related("unit"))
    chair = _chair_name()
    minutes_each = (reports[0].planned_seconds // 60) if reports else 6

    doc = new_document()
    title(doc, _meeting_name(meeting))
    subtitle(doc, "会 议 议 程")
    para(doc, f"时间：{_date(meeting)}", indent=False)
    sections = _sections(items)
    for n, (kind, group) in enumerate(sections, start=1):
        if kind == ItemKind.REPORT:
            heading(doc, f"{chinese_number(n)}、述职评议（一述一评）")
            for i, it in enumerate(group, start=1):
                p = it.participant
                assert p is not None
                sub = f"（{it.substitute}同志代为述职）" if it.absent and it.substitute else ""
                gone = "（缺席）" if it.absent and not it.substitute else ""
                para(doc, f"{i}. {p.unit.name}{person(p)}同志述职{sub}{gone}，{chair}同志点评")
        else:
            heading(doc, f"{chinese_number(n)}、{_section_title(group[0])}")
    doc.add_page_break()

    subtitle(doc, "主 持 词")
    para(doc, "同志们：", indent=False)
    outline = "；".join(f"{chinese_number(n)}是{_section_title(g[0], host=True)}"
                        for n, (kind, g) in enumerate(sections, start=1))
    para(doc, f"根据工作安排，今天我们召开{_meeting_name(meeting)}。会议的主要任务是听取基层党组织书记抓基层党建"
              f"工作述职，进行评议考核，推动管党治党责任落到实处。今天的会议共有{len(sections)}项议程：{outline}。")
    for n, (kind, group) in enumerate(sections, start=1):
        lead = f"下面进行第{chinese_number(n)}项议程："
        if kind == ItemKind.REPORT:
            para(doc, f"{lead}述职评议。本次共有{len(group)}名同志现场述职，每人述职时间不超过{minutes_each}分钟，"
                      f"每位同志述职后，由{chair}同志进行点评。")
            for it in group:
                p = it.participant
                assert p is not None
                if it.absent and it.substitute:
                    para(doc, f"{p.unit.name}{person(p)}同志因故缺席，请{it.substitute}同志代为述职。")
                elif it.absent:
                    para(doc, f"{p.unit.name}{person(p)}同志因故缺席，书面述职材料会后印发。")
                    continue
                else:
                    para(doc, f"请{p.unit.name}{person(p)}同志述职。")
                para(doc, f"请{chair}同志点评。")
        elif kind == ItemKind.VOTE:
            whom = f"现场述职的{len(reports)}名同志" + (f"和书面述职的{len(written)}名同志" if written else "")
            para(doc, f"{lead}民主测评。请大家用手机扫描大屏幕上的二维码，或填写纸质测评票，对{whom}逐一作出"
                      "“好、较好、一般、差”的评价。测评实行无记名方式，请大家实事求是、客观公正地评价。"
                      "纸质测评票填写完毕后，请投入票箱，由工作人员收回。")
        elif kind == ItemKind.CLOSING:
            para(doc, f"{lead}请{chair}同志作总结讲话，大家欢迎。")
        else:
            para(doc, f"{lead}{group[0].title}。")
    para(doc, "同志们，今天的述职评议会开得很好。会后，各单位要认真对照点评指出的问题，逐项建立整改台账，明确整改措施、"
              "责任人和时限，切实抓好整改落实。")
    para(doc, "今天的会议就到这里。散会。")
    return to_bytes(doc)


def _sections(items: list[AgendaItem]) -> list[tuple[str, list[AgendaItem]]]:
    """Consecutive report items form one section (议程一); every other item is a section of its own."""
    out: list[tuple[str, list[AgendaItem]]] = []
    for it in items:
        if it.kind == ItemKind.REPORT and out and out[-1][0] == ItemKind.REPORT:
            out[-1][1].append(it)
        else:
            out.append((it.kind, [it]))
    return out


def _section_title(it: AgendaItem, host: bool = False) -> str:
    if it.kind == ItemKind.REPORT:
        return "听取书记述职并进行点评" if host else "述职评议（一述一评）"
    if it.kind == ItemKind.VOTE:
        return "进行民主测评" if host else "民主测评"
    if it.kind == ItemKind.CLOSING:
        return f"{_chair_name()}同志作总结讲话" if host else it.title
    return it.title


def _actions(meeting: Meeting) -> list[MeetingAction]:
    return list(meeting.actions.filter(undone=False).order_by("seq"))


def _span(it: AgendaItem, acts: list[MeetingAction]) -> tuple[datetime | None, datetime | None]:
    mine = [a.at for a in acts if a.item_id == it.pk]
    start = it.started_at or (min(mine) if mine else None)
    end = it.ended_at or (max(mine) if len(mine) > 1 else None)
    return start, end


def minutes(meeting: Meeting) -> bytes:
    """会议记录: times per item, overruns, attendance, every 点评 and its problems, the control log."""
    items = _items(meeting)
    acts = _actions(meeting)
    comments = {c.participant_id: c for c in Commentary.objects.filter(participant__campaign=meeting.campaign)
                .prefetch_related("problems")}

    doc = new_document()
    title(doc, "会 议 记 录")
    para(doc, _meeting_name(meeting), indent=False, bold_lead="会议名称：")
    when = _date(meeting)
    if meeting.started_at:
        when += f" {clock(meeting.started_at, False)}"
        if meeting.ended_at:
            when += f"—{clock(meeting.ended_at, False)}"
    para(doc, when, indent=False, bold_lead="时　　间：")
    para(doc, f"{meeting.attendees} 人" if meeting.attendees is not None else "未登记", indent=False,
         bold_lead="参会人数：")
    if meeting.attendance_note.strip():
        para(doc, meeting.attendance_note.strip(), indent=False, bold_lead="出席情况：")
    absences = []
    for it in items:
        if it.absent and it.participant:
            note = f"{it.participant.unit.name}{person(it.participant)}同志缺席"
            if it.substitute:
                note += f"，由{it.substitute}同志代为述职"
            if it.substitute_note:
                note += f"（{it.substitute_note}）"
            absences.append(note)
    para(doc, "；".join(absences) if absences else "无", indent=False, bold_lead="缺席及代述职：")

    heading(doc, "一、会议议程及用时")
    rows = []
    for i, it in enumerate(items, start=1):
        start, end = _span(it, acts)
        over = duration(it.overrun_ms) if it.overrun_ms and it.overrun_ms > 0 else ""
        used = duration(it.used_ms) if it.used_ms else ""
        label = it.title + ("（缺席）" if it.absent and not it.substitute else "")
        rows.append([str(i), label, clock(start), clock(end), used, over])
    table(doc, ["序号", "议程", "开始", "结束", "述职用时", "超时"], rows)

    heading(doc, "二、述职点评记录")
    n = 0
    shown: set[int] = set()
    for it in items:
        if it.kind != ItemKind.REPORT or it.participant is None:
            continue
        n += 1
        p = it.participant
        shown.add(p.pk)
        who = f"{p.unit.name}{person(p)}同志"
        heading(doc, f"（{chinese_number(n)}）{who}" + (f"（由{it.substitute}同志代为述职）" if it.substitute else ""),
                level=2)
        start, end = _span(it, acts)
        timing = []
        if start:
            timing.append(f"{clock(start)}开始" + (f"，{clock(end)}结束" if end else ""))
        if it.used_ms:
            timing.append(f"述职用时{duration(it.used_ms)}（限时{duration(it.planned_seconds * 1000)}）")
        if it.overrun_ms and it.overrun_ms > 0:
            timing.append(f"超时{duration(it.overrun_ms)}")
        if it.absent and not it.substitute:
            timing.append("缺席")
        para(doc, "，".join(timing) + "。" if timing else "未记录时间。", bold_lead="述职：")
        _commentary(doc, comments.get(p.pk))
    others = [c for pid, c in comments.items() if pid not in shown and (c.text.strip() or c.problems.all())]
    for c in sorted(others, key=lambda c: (c.participant.unit.sort_order, c.participant.unit.code)):
        n += 1
        p = c.participant
        heading(doc, f"（{chinese_number(n)}）{p.unit.name}{person(p)}同志（{p.get_mode_display()}）", level=2)
        _commentary(doc, c)

    heading(doc, "三、会议过程记录")
    if acts:
        table(doc, ["时间", "事项"], [[clock(a.at), a.summary] for a in acts])
    else:
        para(doc, "无操作记录。")
    return to_bytes(doc)


def _commentary(doc, c: Commentary | None) -> None:  # type: ignore[no-untyped-def]
    if c is None or not c.text.strip():
        para(doc, "（无点评记录）", bold_lead="点评：")
    else:
        lines = [ln.strip() for ln in c.text.split("\n") if ln.strip()]
        para(doc, lines[0], bold_lead="点评：")
        for ln in lines[1:]:
            para(doc, ln)
    rows = problem_rows(c)
    if rows:
        para(doc, "", bold_lead="点评指出的问题：")
        for i, r in enumerate(rows, start=1):
            where = "" if r.state == "typed" else f"（{r.where}）"
            para(doc, f"{i}. 【{r.category_label}】{r.problem.text}{where}")
