"""归档 dossier (.pdf): everything about one campaign's 考核 that the 组织部 files, in one document.

Cover; table of contents with page numbers; 考核方案 (weights, indicators, grades, quota, veto rule, voter
groups); participants and attendance (agenda with times, absences and substitutes, overruns — when a
meeting was held); 民主测评 reconciliation and tallies (counts, 好评率, group scores, formula per reporter);
the judges' score sheets (judge × indicator, totals, which marks the trimmed mean dropped, the mean);
results (rank, components, composite, grade, flags) with each composite's formula; sign-offs (who computed,
submitted, reviewed, signed and published, when, the sign reference and the input digest); and the
audit-chain head hash and count at generation time (shuping.audit.log.verify). Footer "第 n 页 共 m 页".

Numbers come from what the result sheet stored (`outputs`, `inputs`) — exactly what was reviewed and
signed — and the judges' indicator points from their submitted sheets. reportlab platypus, built with
`multiBuild`: the first pass records where each section starts and how many pages there are, the second
prints them (the table of contents fits on its own page(s) followed by a page break, so two passes
suffice). Long tables split across pages and repeat their header. Table cells are plain strings wherever
text cannot be long (a Paragraph per cell is what makes big tables slow); names and formulas wrap.

`dossier_pdf(campaign)` builds the file (no permission check); `dossier_for(actor, campaign)` is the checked
entry point (EXPORT_READERS; campaign-wide, so never a unit-bound user); `DossierExporter` runs it as an
export job (kind "dossier_pdf", registered through shuping.exports.registry.MODULES).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from shuping.accounts.access import EXPORT_READERS, check_roles
from shuping.accounts.models import User
from shuping.audit.log import verify
from shuping.ballots import counting
from shuping.ballots.models import BallotBox
from shuping.ballots.pdf import FONT, _font
from shuping.ballots.tally import Tally
from shuping.campaigns.models import Campaign, Participant
from shuping.campaigns.scheme import COMPONENTS
from shuping.exports.registry import Exporter, Progress, register
from shuping.results import explain, maths
from shuping.results.models import FollowUp, GradeDecision, ResultSheet
from shuping.scoring.models import JudgeScore, JudgeSeat, Recusal

if TYPE_CHECKING:
    from shuping.exports.models import ExportJob

PAGE_W, PAGE_H = A4
MARGIN = 42.0
WIDTH = PAGE_W - 2 * MARGIN
GRID = colors.Color(0.55, 0.55, 0.55)
HEAD_BG = colors.Color(0.9, 0.9, 0.9)
DROPPED_BG = colors.Color(0.96, 0.93, 0.85)
GREY = colors.Color(0.4, 0.4, 0.4)
DROPPED = {"high": "去掉最高", "low": "去掉最低", "": "计入"}


# ---------------------------------------------------------------- data

@dataclass
class JudgeSheet:
    """One reporter's score sheet: a row per judge (name, points per indicator, total, dropped mark)."""

    key: str
    unit: str
    secretary: str
    mode: str
    rows: list[tuple[str, list[str], str, str]]
    expected: int
    formula: str
    score: str
    recused: list[str] = field(default_factory=list)


@dataclass
class Dossier:
    campaign: Campaign
    generated_at: datetime
    participants: list[Participant]
    sheet: ResultSheet | None
    box: BallotBox | None
    reconciliation: counting.Reconciliation | None
    tally: Tally | None
    judge_sheets: list[JudgeSheet]
    decisions: list[GradeDecision]
    follow_ups: list[FollowUp]
    meeting: Any  # shuping.meetings.models.Meeting | None
    audit_count: int
    audit_head: str
    audit_problems: list[str]


def _when(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else "—"


def _who(user: User | None) -> str:
    return str(user) if user is not None else "—"


def _participants(campaign: Campaign) -> list[Participant]:
    return list(Participant.objects.filter(campaign=campaign).select_related("unit", "secretary")
                .order_by("mode", "speaking_order", "unit__sort_order", "unit__code"))


def _judge_sheets(campaign: Campaign, participants: list[Participant], sheet: ResultSheet | None) -> list[JudgeSheet]:
    """Submitted sheets per reporter; dropped marks and the mean from the stored result (what was signed),
    or computed here when the campaign has no result yet."""
    scheme = campaign.scheme
    names = {str(s.user_id): str(s.user) for s in JudgeSeat.objects.filter(campaign=campaign).select_related("user")}
    if sheet is not None:
        names.update({k: v for k, v in sheet.inputs.get("details", {}).get("judges", {}).items() if v})
    by_participant: dict[int, list[tuple[str, list[str], Any]]] = {p.pk: [] for p in participants}
    for pid, jid, points, total in (JudgeScore.objects.filter(participant__campaign=campaign,
                                                              submitted_at__isnull=False)
                                    .order_by("participant_id", "judge_id")
                                    .values_list("participant_id", "judge_id", "points", "total")):
        by_participant.setdefault(pid, []).append((str(jid), list(points), total))
    missing = {j for rows in by_participant.values() for j, _, _ in rows if j not in names}
    if missing:
        names.update({str(u.pk): str(u) for u in User.objects.filter(pk__in=[int(j) for j in missing])})
    recused: dict[int, list[str]] = {}
    for jid, pid in Recusal.objects.filter(campaign=campaign).values_list("judge_id", "participant_id"):
        recused.setdefault(pid, []).append(names.get(str(jid), str(jid)))
    outputs = {r["key"]: r for r in (sheet.outputs.get("rows", []) if sheet is not None else [])}
    trim_k, trim_min = int(scheme["trim_k"]), int(scheme["trim_min_judges"])
    out = []
    for p in participants:
        rows = by_participant.get(p.pk, [])
        row = outputs.get(str(p.pk))
        if row is not None:
            marks = {e["judge"]: e["dropped"] for e in row["judging"]["entries"]}
            formula, expected = row["judging"]["formula"], row["judging"]["judges_expected"]
            score = row["components"]["judging"]["display"] or "—"
        else:
            j = maths.judging([(jid, maths.exact(str(total)) or 0) for jid, _, total in rows],  # type: ignore[misc]
                              trim_k, trim_min)
            marks = {e.judge: e.dropped for e in j.entries}
            formula, expected = j.formula(), len(rows)
            score = maths.num(j.score) if j.score is not None else "—"
        ordered = sorted(rows, key=lambda r: int(r[0]))  # judges in the order they joined the system
        out.append(JudgeSheet(
            key=str(p.pk), unit=p.unit.name, secretary=p.secretary.name if p.secretary_id else "",
            mode=str(p.get_mode_display()),
            rows=[(names.get(jid, jid), [str(x) for x in pts], maths.num(maths.exact(str(total))),
                   marks.get(jid, "")) for jid, pts, total in ordered],
            expected=expected, formula=formula, score=score, recused=recused.get(p.pk, [])))
    return out


def gather(campaign: Campaign, progress: Progress | None = None) -> Dossier:
    """Read everything the dossier shows (a few dozen queries; the ballots in one streamed query)."""
    from shuping.meetings.models import Meeting

    step = progress or (lambda pct, msg: None)
    participants = _participants(campaign)
    sheet = (ResultSheet.objects.filter(campaign=campaign)
             .select_related("computed_by", "submitted_by", "reviewed_by", "signed_by", "published_by").first())
    step(5, "读取民主测评")
    box = BallotBox.objects.filter(campaign=campaign).first()
    rec = tally = None
    if box is not None:
        n_lines = box.lines.count()
        rec = counting.reconciliation(box, n_lines)
        if counting.countable(box):
            tally = counting.tally_box(box, n_lines)
    step(15, "读取评委评分")
    sheets = _judge_sheets(campaign, participants, sheet)
    decisions = (list(GradeDecision.objects.filter(sheet=sheet).select_related("participant__unit", "decided_by"))
                 if sheet is not None else [])
    follow_ups = list(FollowUp.objects.filter(campaign=campaign).select_related("participant__unit"))
    meeting = Meeting.objects.filter(campaign=campaign).first()
    step(25, "核验审计链")
    audit = verify()
    return Dossier(
        campaign=campaign, generated_at=timezone.now(), participants=participants, sheet=sheet, box=box,
        reconciliation=rec, tally=tally, judge_sheets=sheets, decisions=decisions, follow_ups=follow_ups,
        meeting=meeting, audit_count=audit.count, audit_head=audit.head_hash,
        audit_problems=[f"第 {p.seq} 条：{p.reason}" for p in audit.problems])


# ---------------------------------------------------------------- layout

def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12, textColor=GREY, spaceBefore=3),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "h1": ParagraphStyle("h1", parent=base, fontSize=15, leading=22, spaceBefore=4, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base, fontSize=9.5, leading=13, spaceBefore=6, spaceAfter=2),
        "cover": ParagraphStyle("cover", parent=base, fontSize=24, leading=34, alignment=TA_CENTER),
        "cover2": ParagraphStyle("cover2", parent=base, fontSize=16, leading=26, alignment=TA_CENTER),
        "toc": ParagraphStyle("tocTitle", parent=base, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=12),
        "toc0": ParagraphStyle("toc0", parent=base, fontSize=11, leading=18, leftIndent=0, firstLineIndent=0),
        "toc1": ParagraphStyle("toc1", parent=base, fontSize=9.5, leading=15, leftIndent=18, firstLineIndent=0),
    }


class _PageCount(Flowable):
    """Invisible. Remembers the page count of the previous pass for the footer, and keeps multiBuild going
    until the count printed equals the count there is."""

    def __init__(self, doc: _DossierDoc) -> None:
        super().__init__()
        self.doc = doc
        self.previous: int | None = None
        self.current: int | None = None

    def isIndexing(self) -> int:
        return 1

    def isSatisfied(self) -> int:
        return int(self.previous is not None and self.previous == self.current)

    def beforeBuild(self) -> None:
        self.previous = self.current

    def afterBuild(self) -> None:
        self.current = self.doc.last_page

    def notify(self, kind: str, stuff: Any) -> None:
        pass

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


class _DossierDoc(BaseDocTemplate):
    def __init__(self, buf: io.BytesIO, title: str) -> None:
        super().__init__(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 10,
                         bottomMargin=MARGIN + 6, title=title, author="述评 Shuping", creator="述评 Shuping",
                         pageCompression=1)
        self.dossier_title = title
        self.last_page = 0
        self.counter = _PageCount(self)
        self.sections: list[tuple[int, str, int]] = []  # (level, text, page) of the last pass
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([
            PageTemplate(id="cover", frames=[frame], onPage=self._cover_page),
            PageTemplate(id="body", frames=[frame], onPage=self._body_page),
        ])
        self._key = 0
        self.draft = False

    def beforeDocument(self) -> None:
        self.sections = []
        self._key = 0
        # The first pass only measures (where sections start, how many pages): its canvas is thrown away,
        # so tables skip drawing their cells — most of the time a pass takes.
        self.draft = self.counter.previous is None

    def _footer(self, canv: Canvas) -> None:
        self.last_page = self.page
        total = self.counter.previous
        canv.saveState()
        canv.setFont(FONT, 8.5)
        canv.setFillColor(GREY)
        canv.drawCentredString(PAGE_W / 2, MARGIN - 14, f"第 {self.page} 页 共 {total if total else '—'} 页")
        canv.restoreState()

    def _cover_page(self, canv: Canvas, doc: Any) -> None:
        self._footer(canv)

    def _body_page(self, canv: Canvas, doc: Any) -> None:
        canv.saveState()
        canv.setFont(FONT, 8.5)
        canv.setFillColor(GREY)
        canv.drawString(MARGIN, PAGE_H - MARGIN + 4, self.dossier_title)
        canv.drawRightString(PAGE_W - MARGIN, PAGE_H - MARGIN + 4, "归档材料")
        canv.setStrokeColor(GRID)
        canv.setLineWidth(0.4)
        canv.line(MARGIN, PAGE_H - MARGIN, PAGE_W - MARGIN, PAGE_H - MARGIN)
        canv.restoreState()
        self._footer(canv)

    def afterFlowable(self, flowable: Flowable) -> None:
        if not isinstance(flowable, Paragraph):
            return
        level = {"h1": 0, "h2": 1}.get(flowable.style.name)
        if level is None:
            return
        text = flowable.getPlainText()
        self._key += 1
        key = f"s{self._key}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        self.notify("TOCEntry", (level, text, self.page, key))
        self.sections.append((level, text, self.page))


class _Table(Table):
    """A Table that lays out but does not draw during the dossier's measuring pass."""

    def draw(self) -> None:
        doc = getattr(self.canv, "_doctemplate", None)
        if getattr(doc, "draft", False):
            return
        super().draw()


def _table(data: list[list[Any]], widths: Sequence[float], *, numeric_from: int | None = None,
           header_rows: int = 1, size: float = 8, extra: Sequence[tuple[Any, ...]] = (),
           padding: tuple[float, float] = (2, 2.5), leading: float = 2) -> Table:
    """A gridded table with a grey header repeated on every page it spans."""
    t = _Table(data, colWidths=list(widths), repeatRows=header_rows, splitByRow=1)
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, size),
        ("LEADING", (0, 0), (-1, -1), size + leading),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), padding[0]),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding[1]),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("ALIGN", (0, 0), (-1, header_rows - 1), "CENTER"),
    ]
    if numeric_from is not None:
        style.append(("ALIGN", (numeric_from, header_rows), (-1, -1), "RIGHT"))
    style.extend(extra)
    t.setStyle(TableStyle(style))
    return t


def _kv(rows: list[tuple[str, Any]], s: dict[str, ParagraphStyle], label_w: float = 110) -> Table:
    data = [[k, v if isinstance(v, Flowable) else Paragraph(_esc(str(v)), s["cell"])] for k, v in rows]
    return _table(data, [label_w, WIDTH - label_w], header_rows=0, size=8.5,
                  extra=[("BACKGROUND", (0, 0), (0, -1), HEAD_BG)])


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Builder:
    def __init__(self, d: Dossier) -> None:
        self.d = d
        self.s = _styles()
        self.story: list[Flowable] = []
        self.outputs = d.sheet.outputs if d.sheet is not None else {}
        self.inputs = d.sheet.inputs if d.sheet is not None else {}
        self.details = self.inputs.get("details", {}).get("reporters", {})

    # -- helpers
    def p(self, text: str, style: str = "body") -> None:
        self.story.append(Paragraph(_esc(text), self.s[style]))

    def h1(self, text: str) -> None:
        self.story.append(CondPageBreak(120))
        self.p(text, "h1")

    def h2(self, text: str) -> None:
        self.story.append(CondPageBreak(80))
        self.p(text, "h2")

    def gap(self, h: float = 6) -> None:
        self.story.append(Spacer(1, h))

    def cell(self, text: str, width: float = 0) -> str | Paragraph:
        """A table cell's text: plain (fast) when it fits on one line of `width`, else a wrapping Paragraph."""
        if width and stringWidth(text, FONT, 8) <= width - 6:
            return text
        return Paragraph(_esc(text), self.s["cell"])

    # -- parts
    def cover(self, doc: _DossierDoc) -> None:
        c, d = self.d.campaign, self.d
        self.story.append(Spacer(1, 150))
        self.p(c.committee.name if c.committee_id else "", "cover2")
        self.gap(18)
        self.p(c.title, "cover")
        self.p("书记抓基层党建工作述职评议考核", "cover2")
        self.gap(10)
        self.p("归 档 材 料", "cover")
        self.gap(90)
        sheet = d.sheet
        rows: list[tuple[str, Any]] = [
            ("考核年度", f"{c.year} 年"),
            ("考核方案状态", c.get_state_display()),
            ("考核结果", f"{sheet.get_state_display()}（第 {sheet.version} 次统分）" if sheet else "尚未统分"),
            ("述职对象", f"{len(d.participants)} 个"),
            ("输入摘要（SHA-256）", sheet.input_digest if sheet else "—"),
            ("审计链", f"共 {d.audit_count} 条记录，链尾哈希 {d.audit_head or '—'}"
                      + ("，核验通过" if not d.audit_problems else f"，核验发现 {len(d.audit_problems)} 处问题")),
            ("生成时间", _when(d.generated_at)),
        ]
        self.story.append(_kv(rows, self.s, 120))
        self.story.append(NextPageTemplate("body"))
        self.story.append(PageBreak())

    def toc(self) -> None:
        self.p("目　录", "toc")
        toc = TableOfContents(levelStyles=[self.s["toc0"], self.s["toc1"]], dotsMinLevel=0)
        self.story.append(toc)
        self.story.append(PageBreak())

    def scheme(self) -> None:
        sc = self.d.campaign.scheme
        self.h1("一、考核方案")
        self.h2("（一）综合得分构成")
        weights = sc["component_weights"]
        self.story.append(_table([["组成部分", "权重"]] + [[label, f"{weights[k]}%"] for k, label in COMPONENTS.items()],
                                 [200, 80], numeric_from=1))
        self.p("综合得分 = Σ 权重 × 各部分得分 ÷ Σ 权重（某部分无数据时不计入，其余权重按比例折算）。", "small")
        self.h2("（二）现场/书面评分指标")
        inds = sc["judge_indicators"]
        self.story.append(_table([["指标", "满分"]] + [[i["name"], str(i["max_points"])] for i in inds], [200, 80],
                                 numeric_from=1))
        self.p(f"评委合计分为各指标得分之和；评委不少于 {sc['trim_min_judges']} 人时去掉最高、最低各 {sc['trim_k']} 个分数后取"
               "平均（评委回避本单位述职对象）。", "small")
        self.h2("（三）民主测评")
        self.story.append(_table([["等次", "分值"]] + [[g["label"], str(g["points"])] for g in sc["ballot_grades"]],
                                 [200, 80], numeric_from=1))
        self.gap()
        self.story.append(_table([["测评人员类别", "权重"]] + [[g["name"], f"{g['weight']}%"] for g in sc["voter_groups"]],
                                 [200, 80], numeric_from=1))
        items = sc.get("ballot_items") or []
        self.p(f"好评率 =（好 + 较好）÷ 有效票；测评得分 = 各类别平均分按类别权重加权；某类别不足 "
               f"{sc['min_group_size_shown']} 票时计入得分但不单独显示。"
               + (f"分项评价：{'、'.join(items)}。" if items else ""), "small")
        self.h2("（四）等次、比例与否决")
        th = sc["grade_thresholds"]
        tie = "、".join(COMPONENTS.get(t, t) for t in sc.get("tie_breaks", []))
        self.story.append(_kv([
            ("等次分数线", f"好 ≥ {th['好']}，较好 ≥ {th['较好']}，一般 ≥ {th['一般']}，其余为差"),
            ("“好”等次比例", f"不超过述职对象的 {sc['quota_good_percent']}%（取整）；并列跨越比例时由领导小组决定"),
            ("一票否决", (f"民主测评“差”票超过有效票的 {sc['veto_bad_share']} 时，等次为“差”" if sc.get("veto_enabled", True)
                      else "不实行")),
            ("同分排序", f"依次比较{tie}" if tie else "不再比较，并列"),
        ], self.s))

    def attendance(self) -> None:
        from shuping.meetings import docs
        from shuping.meetings.models import ItemKind

        d = self.d
        self.h1("二、述职对象与出席情况")
        self.h2("（一）述职对象")
        data: list[list[Any]] = [["序号", "单位", "书记", "述职方式", "述职顺序"]]
        for i, p in enumerate(d.participants, 1):
            data.append([str(i), self.cell(p.unit.name, 250), p.secretary.name if p.secretary_id else "",
                         p.get_mode_display(), str(p.speaking_order or "")])
        self.story.append(_table(data, [30, 250, 90, 70, 60], extra=[("ALIGN", (0, 1), (0, -1), "RIGHT")]))
        self.h2("（二）述职评议会")
        m = d.meeting
        if m is None:
            self.p("本考核方案在系统中没有述职评议会记录。")
            return
        items = docs._items(m)
        acts = docs._actions(m)
        when = docs._date(m)
        if m.started_at:
            when += f" {docs.clock(m.started_at, False)}" + (f"—{docs.clock(m.ended_at, False)}" if m.ended_at else "")
        absences = []
        for it in items:
            if it.absent and it.participant:
                note = f"{it.participant.unit.name}{docs.person(it.participant)}同志缺席"
                if it.substitute:
                    note += f"，由{it.substitute}同志代为述职"
                if it.substitute_note:
                    note += f"（{it.substitute_note}）"
                absences.append(note)
        overruns = [it for it in items if it.overrun_ms and it.overrun_ms > 0]
        self.story.append(_kv([
            ("会议状态", m.get_state_display()),
            ("时间", when),
            ("参会人数", f"{m.attendees} 人" if m.attendees is not None else "未登记"),
            ("出席情况", m.attendance_note.strip() or "—"),
            ("缺席及代述职", "；".join(absences) if absences else "无"),
            ("超时", "；".join(f"{it.title} 超时{docs.duration(it.overrun_ms)}" for it in overruns) if overruns else "无"),
        ], self.s))
        self.gap()
        data = [["序号", "议程", "开始", "结束", "用时", "限时", "超时"]]
        for i, it in enumerate(items, 1):
            start, end = docs._span(it, acts)
            label = it.title
            if it.absent:
                label += f"（{it.substitute}代为述职）" if it.substitute else "（缺席）"
            data.append([str(i), self.cell(label, 203), docs.clock(start), docs.clock(end),
                         docs.duration(it.used_ms) if it.used_ms else "",
                         docs.duration(it.planned_seconds * 1000) if it.kind == ItemKind.REPORT else "",
                         docs.duration(it.overrun_ms) if it.overrun_ms and it.overrun_ms > 0 else ""])
        self.story.append(_table(data, [28, 203, 50, 50, 60, 55, 55], numeric_from=2))

    def ballots(self) -> None:
        d = self.d
        self.h1("三、民主测评")
        if d.box is None:
            self.p("本考核方案没有民主测评票箱。")
            return
        self.h2("（一）票箱核对")
        r = d.reconciliation
        assert r is not None
        self.story.append(_table([
            ["项目", "数量"],
            ["发出测评码（未作废）", str(r.issued)], ["作废测评码", str(r.revoked)],
            ["手机投票", str(r.phone)], ["纸质票（已录入）", str(r.paper)], ["废票", str(r.invalid)],
            ["未交回（发出 − 已用 − 废票）", str(r.not_returned)], ["有效选票（已存）", str(r.ballots)],
            ["全部弃权的选票", str(r.blank)], ["意见建议", str(r.comments)], ["待核对的纸质票", str(r.paper_pending)],
        ], [220, 80], numeric_from=1))
        self.p(f"票箱状态：{d.box.get_state_display()}。" + ("核对通过。" if r.ok else "核对发现：" + "；".join(r.flags)),
               "body")
        t = d.tally
        if t is None:
            self.p("票箱尚未封箱，不计票。")
            return
        self.h2("（二）计票结果")
        groups = "；".join(f"{g.name} {g.ballots} 票（权重 {g.weight_text}）" + (g.hidden_note if g.hidden else "")
                          for g in t.groups)
        self.p(f"共 {t.n_ballots} 张选票（全部弃权 {t.n_blank} 张）。各类别：{groups}。", "small")
        labels = list(t.grade_labels)
        head = ["序号", "单位", *labels, "弃权", "有效", "好评率", "测评得分", "否决"]
        data: list[list[Any]] = [head]
        lines = counting.lines_of(d.box)
        for ln, lt in zip(lines, t.lines, strict=True):
            data.append([str(ln.position + 1), self.cell(counting.line_label(ln), 150), *map(str, lt.counts.grades),
                         str(lt.counts.abstain), str(lt.counts.valid), lt.good_rate_display, lt.score_display,
                         "是" if lt.veto else ""])
        n = len(labels)
        self.story.append(_table(data, [26, 150, *([32] * n), 32, 36, 48, 45, 28], numeric_from=2))
        self.h2("（三）各类别得分与计算式")
        data = [["序号", "单位", "测评得分计算式", "“差”票占比"]]
        for ln, lt in zip(lines, t.lines, strict=True):
            formula = lt.formula() + (f"（{lt.renormalisation_note()}）" if lt.renormalised else "")
            data.append([str(ln.position + 1), self.cell(counting.line_label(ln), 110), self.cell(formula, 235),
                         self.cell(lt.veto_note(), 140)])
        self.story.append(_table(data, [26, 110, 235, 140], extra=[("ALIGN", (0, 1), (0, -1), "RIGHT")]))
        if t.hidden_groups:
            self.p("不足最少显示票数的类别只计入得分，不单独显示其得分。", "small")

    def judges(self, progress: Progress | None) -> None:
        sc = self.d.campaign.scheme
        inds = sc["judge_indicators"]
        self.h1("四、评委评分表")
        self.p(f"每位述职对象一表，按述职顺序排列；“计分”列标明按去掉最高、最低分规则未计入平均的分数。"
               f"评委不少于 {sc['trim_min_judges']} 人时去掉最高、最低各 {sc['trim_k']} 个。", "small")
        n = len(inds)
        fixed = 22 + 72 + 44 + 46
        w = min(70.0, (WIDTH - fixed) / max(n, 1))
        head = ["序号", "评委", *[f"{i['name']}\n（{i['max_points']}）" for i in inds], "合计", "计分"]
        total = len(self.d.judge_sheets)
        for idx, js in enumerate(self.d.judge_sheets, 1):
            parts: list[Flowable] = [Paragraph(_esc(f"{idx}. {js.unit}　{js.secretary}（{js.mode}）"), self.s["h3"])]
            if js.rows:
                data: list[list[Any]] = [head]
                extra: list[tuple[Any, ...]] = [("ALIGN", (0, 1), (0, -1), "RIGHT")]
                for k, (name, pts, tot, mark) in enumerate(js.rows, 1):
                    data.append([str(k), name, *(pts + [""] * (n - len(pts)))[:n], tot, DROPPED.get(mark, mark)])
                    if mark:
                        extra.append(("BACKGROUND", (0, k), (-1, k), DROPPED_BG))
                data.append(["", "平均", *[""] * n, js.score, ""])
                extra.append(("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), HEAD_BG))
                parts.append(_table(data, [22, 72, *([w] * n), 44, 46], numeric_from=2, extra=extra, size=7.5,
                                    padding=(0.8, 1.2), leading=1.5))
            note = f"应评 {js.expected} 位，已提交 {len(js.rows)} 位。{js.formula}"
            if js.recused:
                note += f"回避：{'、'.join(js.recused)}。"
            parts.append(Paragraph(_esc(note), self.s["small"]))
            # Keep a sheet on one page when it fits (an estimate: cheaper than KeepTogether's extra wraps).
            # Rows are 11 pt, the two-line header 20, title and note about 48: two 25-judge sheets a page.
            self.story.append(CondPageBreak(min(11.0 * (len(js.rows) + 2) + 68, 700)))
            self.story.extend(parts)
            if progress and idx % 50 == 0:
                progress(30 + int(30 * idx / total), f"排版评委评分表 {idx}/{total}")

    def results(self) -> None:
        d, out = self.d, self.outputs
        self.h1("五、考核结果")
        if d.sheet is None:
            self.p("尚未统分。")
            return
        self.h2("（一）名次与等次")
        self.p(f"{explain.quota_text(self.inputs, out)}。结果状态：{d.sheet.get_state_display()}"
               f"（第 {d.sheet.version} 次统分）。", "small")
        head = ["名次", "单位", "书记", *[label.replace("现场/书面评分", "现场评分") for label in COMPONENTS.values()],
                "综合得分", "等次", "标记"]
        data: list[list[Any]] = [[self.cell(h) if len(h) > 3 else h for h in head]]
        for r in out.get("rows", []):
            det = self.details.get(r["key"], {})
            comps = [r["components"][c]["display"] or "—" for c in COMPONENTS]
            flags = "、".join(maths.FLAG_LABELS.get(f, f) for f in r["flags"])
            data.append([str(r["rank"]), self.cell(det.get("unit", r["key"]), 104), det.get("secretary", ""), *comps,
                         r["composite_display"] or "—", r["grade"], self.cell(flags, 107)])
        self.story.append(_table(data, [26, 104, 42, 40, 40, 40, 40, 44, 28, 107], numeric_from=3,
                                 extra=[("ALIGN", (0, 1), (0, -1), "RIGHT"), ("ALIGN", (8, 1), (8, -1), "CENTER"),
                                        ("ALIGN", (9, 1), (9, -1), "LEFT")]))
        avg = out.get("averages", {})
        self.p("组平均：" + "；".join(f"{label} {maths.num(maths.exact(avg.get(k)))}" for k, label in
                                   [*COMPONENTS.items(), ("composite", "综合得分")] if avg.get(k) is not None), "small")
        self.h2("（二）综合得分计算式")
        data = [["名次", "单位", "计算式与等次说明"]]
        for r in out.get("rows", []):
            det = self.details.get(r["key"], {})
            data.append([str(r["rank"]), self.cell(det.get("unit", r["key"]), 110),
                         self.cell(r["composite_formula"] + "。" + "；".join(r["notes"]))])
        self.story.append(_table(data, [26, 110, WIDTH - 136], extra=[("ALIGN", (0, 1), (0, -1), "RIGHT")]))
        if d.decisions:
            self.h2("（三）领导小组决定")
            data = [["单位", "等次", "依据", "决定人", "时间"]]
            data += [[self.cell(g.participant.unit.name), g.grade, self.cell(g.reason), _who(g.decided_by),
                      _when(g.decided_at)] for g in d.decisions]
            self.story.append(_table(data, [120, 36, 170, 70, 105]))
        if d.follow_ups:
            self.h2(f"（{'四' if d.decisions else '三'}）后续措施")
            data = [["单位", "等次", "措施", "负责人", "完成时限", "完成日期"]]
            data += [[self.cell(f.participant.unit.name), f.grade, f.get_kind_display(), f.responsible or "—",
                      str(f.due_date or "—"), str(f.done_at or "未完成")] for f in d.follow_ups]
            self.story.append(_table(data, [150, 40, 70, 90, 80, 81]))

    def signoffs(self) -> None:
        s = self.d.sheet
        self.h1("六、审核签批")
        if s is None:
            self.p("尚未统分。")
            return
        data = [["环节", "人员", "时间", "说明"],
                ["统分", _who(s.computed_by), _when(s.computed_at), f"第 {s.version} 次统分"],
                ["提交审核", _who(s.submitted_by), _when(s.submitted_at), ""],
                ["审核", _who(s.reviewed_by), _when(s.reviewed_at), self.cell(s.review_note or "")],
                ["签批", _who(s.signed_by), _when(s.signed_at), self.cell(s.sign_reference or "")],
                ["公布", _who(s.published_by), _when(s.published_at), ""]]
        self.story.append(_table(data, [70, 110, 120, WIDTH - 300]))
        self.gap()
        self.story.append(_kv([("结果状态", s.get_state_display()), ("输入摘要（SHA-256）", s.input_digest)], self.s))
        self.p("输入摘要为统分所用全部输入（方案、评委合计分、测评得分、日常考核、整改成效、领导小组决定）规范化 JSON 的 "
               "SHA-256，观察员可据以重算并比对。", "small")

    def audit(self) -> None:
        d = self.d
        self.h1("七、审计链")
        self.story.append(_kv([
            ("核验时间", _when(d.generated_at)),
            ("记录条数", str(d.audit_count)),
            ("链尾哈希", d.audit_head or "—"),
            ("核验结果", "通过：每条记录的哈希与前一条相连，未发现篡改或删除" if not d.audit_problems
             else "发现问题：" + "；".join(d.audit_problems[:20])),
        ], self.s))
        self.p("审计链按顺序记录系统中的每一项操作，每条记录包含前一条记录的哈希；链尾哈希与条数可与系统中的审计日志核对，"
               "以证明本材料生成后记录未被改动。", "small")


def render(d: Dossier, progress: Progress | None = None) -> bytes:
    _font()
    title = _title(d.campaign)
    buf = io.BytesIO()
    doc = _DossierDoc(buf, title)
    b = _Builder(d)
    b.story.append(doc.counter)
    b.cover(doc)
    b.toc()
    b.scheme()
    b.attendance()
    b.ballots()
    b.judges(progress)
    b.results()
    b.signoffs()
    b.audit()
    if progress:
        progress(65, "生成 PDF")
    doc.multiBuild(b.story)
    return buf.getvalue()


def dossier_pdf(campaign: Campaign, progress: Progress | None = None) -> bytes:
    """The dossier of `campaign` as PDF bytes. No permission check (see dossier_for)."""
    d = gather(campaign, progress)
    data = render(d, progress)
    if progress:
        progress(100, "完成")
    return data


def dossier_for(actor: User, campaign: Campaign, progress: Progress | None = None) -> bytes:
    """The dossier for an organiser, observer or chair; a unit-bound user never gets it (campaign-wide)."""
    check_roles(actor, *EXPORT_READERS)
    return dossier_pdf(campaign, progress)


def _title(campaign: Campaign) -> str:
    t = campaign.title.strip()
    return f"{t}{'归档材料' if t.endswith('考核') else '考核归档材料'}"


def filename(campaign: Campaign) -> str:
    return f"{_title(campaign)}-{timezone.localdate():%Y%m%d}.pdf"


# ---------------------------------------------------------------- export job

@register
class DossierExporter(Exporter):
    """The dossier as an export job (shuping.exports.registry). Campaign-wide: no unit-bound scope."""

    key, label, extension, order = "dossier_pdf", "考核归档材料（PDF）", "pdf", 35
    description = ("考核方案、出席情况、票箱核对与计票、评委评分表、考核结果及计算式、审核签批记录和审计链哈希，"
                   "带目录和页码，供归档")
    roles = EXPORT_READERS
    unit_roles = ()

    def check(self, user: User, campaign: Campaign | None) -> None:
        if campaign is None or not ResultSheet.objects.filter(campaign=campaign).exists():
            raise ValidationError("尚未统分，还不能生成考核归档材料")

    def build(self, job: ExportJob, progress: Progress) -> tuple[str, bytes]:
        if job.unit_id is not None:  # never trust one layer only: the dossier holds every reporter
            raise PermissionDenied("考核归档材料包含全部述职对象，不能按单位导出")
        assert job.campaign is not None
        return filename(job.campaign), dossier_pdf(job.campaign, progress)

