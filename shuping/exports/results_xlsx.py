"""The results workbook (.xlsx): 考核结果 plus one sheet per component with its raw inputs.

Read from the stored result sheet (ResultSheet.outputs / inputs, as the results pages are), plus the judges'
indicator points (JudgeScore.points) and the closed ballot box's tally per voter group, which are locked
once the sheet is submitted. Cells hold the exact values (Decimal) shown with two decimals; where Excel can
recompute a figure from cells on the sheet, a 复算 column holds the formula beside the system's value
(=AVERAGE of the kept judge totals, the weighted group scores, the re-normalised composite); where it
cannot (a voter group too small to show), a note says why. Every sheet: frozen header rows, A4 landscape,
title rows repeated on each printed page, fitted to the page width.

Scope: `unit_id` keeps the rows of that unit only — a reporter's workbook holds nothing of any other unit —
and `names=False` hides judges' names (评委1, 评委2 … as on the reporter's own result page).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from shuping.ballots import counting
from shuping.ballots.tally import LineTally, to_decimal
from shuping.campaigns.models import Participant
from shuping.campaigns.scheme import COMPONENTS
from shuping.rectification.models import LedgerEntry
from shuping.rectification.scoring import closed_on_time, previous_campaign
from shuping.results import compute, maths
from shuping.results.models import ResultSheet, SheetState
from shuping.scoring.models import JudgeScore

SHEET_RESULTS = "考核结果"
SHEET_JUDGING = "现场评分"
SHEET_BALLOT = "民主测评"
SHEET_ROUTINE = "日常考核"
SHEET_RECTIFICATION = "整改成效"
NUM = "0.00"
PCT = "0.00%"
HEADER_ROW = 3  # rows 1–2: title and notes; row 3: column headers (frozen, repeated when printed)

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEAD_FILL = PatternFill("solid", fgColor="F2F3F5")
_SUM_FILL = PatternFill("solid", fgColor="FFF7E6")
_THIN = Side(style="thin", color="C9CDD4")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")

Progress = Callable[[int, str], None]


def dec(text: str | None) -> Decimal | None:
    """A stored exact value (Decimal string or 'n/d') as a Decimal for a cell."""
    value = maths.exact(text)
    return None if value is None else to_decimal(value)


@dataclass
class Row:
    key: str
    out: dict[str, Any]  # the row of sheet.outputs
    detail: dict[str, Any]  # the row of sheet.inputs["details"]["reporters"]

    @property
    def unit(self) -> str:
        return str(self.detail.get("unit", self.key))

    @property
    def secretary(self) -> str:
        return str(self.detail.get("secretary", ""))


def rows_in_scope(sheet: ResultSheet, unit_id: int | None) -> list[Row]:
    units = dict(Participant.objects.filter(campaign_id=sheet.campaign_id).values_list("pk", "unit_id"))
    details = sheet.inputs.get("details", {}).get("reporters", {})
    out = []
    for r in sheet.outputs.get("rows", []):
        if unit_id is not None and units.get(int(r["key"])) != unit_id:
            continue
        out.append(Row(key=r["key"], out=r, detail=details.get(r["key"], {})))
    return out


# ---------------------------------------------------------------- sheet helpers

def _sheet(wb: Workbook, title: str, heading: str, note: str, header: Sequence[str],
           widths: Sequence[int]) -> Worksheet:
    ws = wb.create_sheet(title)
    ws.cell(row=1, column=1, value=heading).font = _TITLE
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.cell(row=2, column=1, value=note).alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
    ws.row_dimensions[2].height = 32
    for i, text in enumerate(header, start=1):
        c = ws.cell(row=HEADER_ROW, column=i, value=text)
        c.font, c.fill, c.border = _BOLD, _HEAD_FILL, _BOX
        c.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.print_title_rows = f"1:{HEADER_ROW}"
    ps = ws.page_setup
    ps.orientation = ws.ORIENTATION_LANDSCAPE
    ps.paperSize = ws.PAPERSIZE_A4
    ps.fitToWidth = 1
    ps.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    return ws


def _put(ws: Worksheet, row: int, values: Sequence[Any], formats: dict[int, str] | None = None,
         fill: PatternFill | None = None, bold: bool = False) -> None:
    for i, v in enumerate(values, start=1):
        c = ws.cell(row=row, column=i, value=v)
        c.border = _BOX
        if isinstance(v, str) and len(v) > 20:
            c.alignment = _WRAP
        if formats and i in formats and v is not None:
            c.number_format = formats[i]
        if fill is not None:
            c.fill = fill
        if bold:
            c.font = _BOLD


def _col(i: int) -> str:
    return get_column_letter(i)


# ---------------------------------------------------------------- 考核结果

def _results_sheet(wb: Workbook, sheet: ResultSheet, rows: list[Row], heading: str, state_note: str) -> None:
    weights = sheet.inputs.get("maths", {}).get("scheme", {}).get("component_weights", {})
    comp_head = [f"{label}（{weights.get(c, '')}%）" for c, label in COMPONENTS.items()]
    header = ["名次", "单位", "书记", "述职方式", *comp_head, "综合得分", "复算（公式）", "等次", "说明"]
    ws = _sheet(wb, SHEET_RESULTS, heading,
                f"{state_note}单元格内为系统计算的精确值，显示保留两位小数（四舍五入）；“复算”列按各项得分和权重用公式重新"
                f"计算综合得分（缺项的权重按比例折算），应与“综合得分”一致。",
                header, [6, 22, 10, 10, 13, 13, 13, 13, 11, 11, 7, 40])
    first_comp = 5
    comp_names = list(COMPONENTS)
    for n, r in enumerate(rows):
        row = HEADER_ROW + 1 + n
        comps = [dec(r.out["components"][c]["value"]) for c in comp_names]
        present = [(first_comp + i, weights.get(c)) for i, c in enumerate(comp_names)
                   if comps[i] is not None and weights.get(c) not in (None, "", "0")]
        formula = None
        if present:
            terms = "+".join(f"{_col(col)}{row}*{w}" for col, w in present)
            total = "+".join(str(w) for _, w in present)
            formula = f"=({terms})/({total})"
        flags = "；".join(maths.FLAG_LABELS.get(f, f) for f in r.out["flags"])
        notes = "；".join(r.out.get("notes", []))
        _put(ws, row, [r.out["rank"], r.unit, r.secretary, r.detail.get("mode", ""), *comps,
                       dec(r.out["composite"]), formula, r.out["grade"], "；".join(x for x in (flags, notes) if x)],
             dict.fromkeys(range(first_comp, first_comp + 6), NUM))


# ---------------------------------------------------------------- 现场评分

def _judging_sheet(wb: Workbook, sheet: ResultSheet, rows: list[Row], names: bool, heading: str) -> None:
    scheme = sheet.campaign.scheme
    indicators = [i["name"] for i in scheme.get("judge_indicators", [])]
    maxima = [i.get("max_points", "") for i in scheme.get("judge_indicators", [])]
    header = ["单位", "评委", *[f"{n}（{m}分）" for n, m in zip(indicators, maxima, strict=True)], "合计",
              "去掉", "复算（公式）", "系统计算值", "说明"]
    judge_names = sheet.inputs.get("details", {}).get("judges", {})
    ms = sheet.inputs.get("maths", {}).get("scheme", {})
    ws = _sheet(wb, SHEET_JUDGING, heading,
                f"每位评委各指标得分与合计；述职人得分为去掉最高、最低各 {ms.get('trim_k', '')} 个合计后的平均"
                f"（评委不少于 {ms.get('trim_min_judges', '')} 人时去掉，否则不去掉）。“复算”列用公式对保留的合计求平均。"
                + ("" if names else "评委姓名不显示，按合计由低到高编号。"),
                header, [22, 12, *[12] * len(indicators), 10, 10, 12, 12, 48])
    ids = [int(r.key) for r in rows]
    points = {(pid, str(jid)): p for pid, jid, p in JudgeScore.objects.filter(
        participant_id__in=ids, submitted_at__isnull=False).values_list("participant_id", "judge_id", "points")}
    n_ind = len(indicators)
    c_total, c_formula, c_exact = 3 + n_ind, 5 + n_ind, 6 + n_ind
    row = HEADER_ROW + 1
    for r in rows:
        j = r.out["judging"]
        kept_cells = []
        for i, e in enumerate(j["entries"], start=1):
            who = judge_names.get(e["judge"], "") if names else f"评委{i}"
            pts = points.get((int(r.key), e["judge"]), [])
            values = [dec(p) for p in pts][:n_ind] + [None] * (n_ind - len(pts))
            dropped = {"high": "去掉最高", "low": "去掉最低"}.get(e["dropped"], "")
            _put(ws, row, [r.unit, who, *values, dec(e["total"]), dropped, None, None, None],
                 dict.fromkeys(range(3, c_total + 1), NUM))
            if not e["dropped"]:
                kept_cells.append(f"{_col(c_total)}{row}")
            row += 1
        value = dec(r.out["components"]["judging"]["value"])
        formula = f"=AVERAGE({','.join(kept_cells)})" if kept_cells else None
        note = j["formula"]
        if len(j["entries"]) < j.get("judges_expected", 0):
            note += f"（应评 {j['judges_expected']} 位，已提交 {len(j['entries'])} 位）"
        if r.detail.get("mode") == "书面述职":
            note = "书面述职，由评审组按述职报告评分。" + note
        summary = [r.unit, "述职人得分", *[None] * n_ind, None, None, formula, value, note]
        _put(ws, row, summary, {c_formula: NUM, c_exact: NUM}, fill=_SUM_FILL, bold=False)
        ws.cell(row=row, column=2).font = _BOLD
        row += 2


# ---------------------------------------------------------------- 民主测评

def _ballot_lines(sheet: ResultSheet) -> dict[int, LineTally]:
    box = compute.ballot_box(sheet.campaign)
    if box is None or not counting.countable(box):
        return {}
    lines = counting.lines_of(box)
    t = counting.tally_box(box, len(lines))
    return {ln.participant_id: lt for ln, lt in zip(lines, t.lines, strict=True)}


def _ballot_sheet(wb: Workbook, sheet: ResultSheet, rows: list[Row], heading: str) -> None:
    scheme = sheet.campaign.scheme
    grades = scheme.get("ballot_grades", [])
    labels = [g["label"] for g in grades]
    pts = [g["points"] for g in grades]
    n = len(labels)
    header = ["单位", "测评人员类别", "权重（%）", *labels, "弃权", "有效票", "好评率", "类别得分", "复算（公式）",
              "系统计算值", "说明"]
    ws = _sheet(wb, SHEET_BALLOT, heading,
                f"每位述职人按测评人员类别统计各等次票数；类别得分 = 有效票的平均分（{'、'.join(f'{a}{b}分' for a, b in zip(labels, pts, strict=True))}），"
                f"弃权不计入有效票；好评率 = ({'+'.join(labels[:2])}) ÷ 有效票；测评得分 = 各类别得分按权重加权"
                f"（无有效票的类别不计入，其余权重按比例折算）。不足 {scheme.get('min_group_size_shown', '')} 票的类别不单独显示。",
                header, [22, 16, 9, *[7] * n, 7, 8, 9, 10, 12, 12, 48])
    c_valid, c_rate, c_score, c_formula, c_exact = 5 + n, 6 + n, 7 + n, 8 + n, 9 + n
    fmt = {c_rate: PCT, c_score: NUM, c_formula: NUM, c_exact: NUM}
    lines = _ballot_lines(sheet)
    row = HEADER_ROW + 1
    for r in rows:
        lt = lines.get(int(r.key))
        if lt is None:
            _put(ws, row, [r.unit, "—", *[None] * (n + 7), None, "无民主测评数据（不在测评票上或票箱未封箱）"])
            row += 2
            continue
        used = []  # (weight cell, score cell) of the groups that count, when every one is shown
        all_shown = True
        for g in lt.groups:
            gi = g.group
            if gi.hidden:
                hidden = gi.hidden_note.strip("（）")
                if g.dropped:
                    note = f"无有效评价，不计入（{hidden}）"
                else:
                    all_shown = False
                    note = f"{hidden}，计入测评得分"
                _put(ws, row, [r.unit, gi.name, gi.weight, *[None] * (n + 4), None, None, note], {3: NUM})
                row += 1
                continue
            c = g.counts
            score_formula = None
            if c.valid:
                terms = "+".join(f"{_col(4 + i)}{row}*{p}" for i, p in enumerate(pts))
                score_formula = f"=({terms})/{_col(c_valid)}{row}"
                used.append((f"C{row}", f"{_col(c_formula)}{row}"))
            rate = c.good_rate()
            _put(ws, row, [r.unit, gi.name, gi.weight, *c.grades, c.abstain, c.valid,
                           None if rate is None else to_decimal(rate), g.score, score_formula, g.score,
                           "无有效评价，不计入" if g.dropped else ""], {3: NUM, **fmt})
            row += 1
        c = lt.counts
        formula = None
        if all_shown and used:
            num = "+".join(f"{w}*{s}" for w, s in used)
            den = "+".join(w for w, _ in used)
            formula = f"=({num})/({den})"
        note = lt.formula()
        if lt.renormalised:
            note += "；" + lt.renormalisation_note()
        if not all_shown:
            note += "；含不单独显示的类别，无法在表内复算"
        note += "；" + lt.veto_note()
        _put(ws, row, [r.unit, "测评得分（合计）", None, *c.grades, c.abstain, c.valid, lt.good_rate_decimal,
                       None, formula, dec(r.out["components"]["ballot"]["value"]), note], fmt, fill=_SUM_FILL)
        ws.cell(row=row, column=2).font = _BOLD
        row += 2


# ---------------------------------------------------------------- 日常考核, 整改成效

def _routine_sheet(wb: Workbook, rows: list[Row], heading: str) -> None:
    ws = _sheet(wb, SHEET_ROUTINE, heading, "日常考核得分（0–100）由组织部从日常考核表导入，来源注明文件、工作表和行。",
                ["单位", "书记", "日常考核得分", "来源"], [24, 12, 14, 60])
    for n, r in enumerate(rows):
        value = dec(r.out["components"]["routine"]["value"])
        source = r.detail.get("routine_source", "") if value is not None else "无日常考核得分，不计入综合得分"
        _put(ws, HEADER_ROW + 1 + n, [r.unit, r.secretary, value, source], {3: NUM})


def _rectification_sheet(wb: Workbook, sheet: ResultSheet, rows: list[Row], heading: str) -> None:
    prev = previous_campaign(sheet.campaign)
    ws = _sheet(wb, SHEET_RECTIFICATION, heading,
                "整改成效 = 上年度整改台账中按期销号（经第二人核验）的条目数 ÷ 条目总数 × 100；没有条目的不计入综合得分。"
                + (f"上年度：{prev.title}。" if prev else "没有上年度考核方案。"),
                ["单位", "上年度条目数", "按期销号", "复算（公式）", "系统计算值", "说明"], [24, 12, 12, 12, 12, 50])
    units = dict(Participant.objects.filter(pk__in=[int(r.key) for r in rows]).values_list("pk", "unit_id"))
    counts: dict[int, list[int]] = {}
    if prev is not None:
        for uid, state, deadline, closed_at in LedgerEntry.objects.filter(
                campaign=prev, unit_id__in=set(units.values())).values_list("unit_id", "state", "deadline",
                                                                             "closed_at"):
            on_time, total = counts.setdefault(uid, [0, 0])
            counts[uid] = [on_time + closed_on_time(state, deadline, closed_at, sheet.campaign.meeting_date),
                           total + 1]
    for n, r in enumerate(rows):
        row = HEADER_ROW + 1 + n
        on_time, total = counts.get(units.get(int(r.key), 0), [0, 0])
        value = dec(r.out["components"]["rectification"]["value"])
        formula = f"=C{row}/B{row}*100" if total else None
        note = "" if total else "上年度没有整改条目，不计入综合得分"
        _put(ws, row, [r.unit, total, on_time, formula, value, note], {4: NUM, 5: NUM})


# ---------------------------------------------------------------- the workbook

def build(sheet: ResultSheet, unit_id: int | None = None, names: bool = True,
          progress: Progress | None = None) -> bytes:
    report = progress or (lambda p, m: None)
    campaign = sheet.campaign
    rows = rows_in_scope(sheet, unit_id)
    published = sheet.state == SheetState.PUBLISHED
    state_note = "" if published else f"【{SheetState(sheet.state).label}，尚未公布，仅供内部核对】"
    scope = f"（{rows[0].unit}）" if unit_id is not None and rows else ""
    heading = f"{campaign.title} 考核结果{scope}"
    wb = Workbook()
    wb.remove(wb.active)
    wb.calculation.fullCalcOnLoad = True  # formulas carry no cached value: Excel/WPS compute them on opening
    report(10, "考核结果")
    _results_sheet(wb, sheet, rows, heading, state_note)
    report(30, "现场评分")
    _judging_sheet(wb, sheet, rows, names, f"{campaign.title} 现场/书面评分明细{scope}")
    report(55, "民主测评")
    _ballot_sheet(wb, sheet, rows, f"{campaign.title} 民主测评明细{scope}")
    report(80, "日常考核与整改成效")
    _routine_sheet(wb, rows, f"{campaign.title} 日常考核{scope}")
    _rectification_sheet(wb, sheet, rows, f"{campaign.title} 整改成效{scope}")
    wb.properties.title = heading
    wb.properties.creator = "述评 Shuping"
    out = io.BytesIO()
    wb.save(out)
    report(95, "保存文件")
    return out.getvalue()
