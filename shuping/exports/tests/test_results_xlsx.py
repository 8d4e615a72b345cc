"""The results workbook read back with openpyxl: sheets, headers, exact values, formulas that recompute them,
print setup, and a reporter's workbook holding their own unit only.

Figures are those of shuping/results/tests/conftest.py: east judges 90…98 → 94 (90 and 98 dropped), ballots
好×20 → 100, 日常考核 95 → composite (94×30 + 100×40 + 95×20)/90 = 96.888…; west 83 / 80 / 85 → 82.111….
"""

from __future__ import annotations

import io
import re
from fractions import Fraction
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from shuping.exports import results_xlsx
from shuping.exports.tests.helpers import media, publish, read, run  # noqa: F401  (fixtures)
from shuping.results import actions as results
from shuping.results.tests import conftest as results_fixtures

judges = results_fixtures.judges
scored = results_fixtures.scored
pytestmark = pytest.mark.usefixtures("media")

SHEETS = ["考核结果", "现场评分", "民主测评", "日常考核", "整改成效"]


def workbook(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


def exact(value: Any) -> Fraction:
    return Fraction(str(value))


def evaluate(ws: Worksheet, formula: str) -> Fraction:
    """What a spreadsheet computes for our formulas: + - * / and AVERAGE over cell references, exactly."""
    assert formula.startswith("=")

    def cell(m: re.Match[str]) -> str:
        value = ws[m.group(0)].value
        if isinstance(value, str) and value.startswith("="):  # a formula referring to another formula
            value = evaluate(ws, value)
        return f"F('{value}')"

    expr = re.sub(r"\b([A-Z]{1,2})(\d+)\b", cell, formula[1:])
    expr = expr.replace("AVERAGE(", "AVG(")

    def avg(*xs: Fraction) -> Fraction:
        return sum(xs, Fraction(0)) / len(xs)

    return eval(expr, {"__builtins__": {}}, {"F": Fraction, "AVG": avg})  # our own formulas only


def header(ws: Worksheet) -> list[Any]:
    return [c.value for c in ws[results_xlsx.HEADER_ROW]]


def rows(ws: Worksheet) -> list[tuple[Any, ...]]:
    return [r for r in ws.iter_rows(min_row=results_xlsx.HEADER_ROW + 1, values_only=True) if any(r)]


def all_text(wb: Any) -> str:
    return "\n".join(str(v) for ws in wb for r in ws.iter_rows(values_only=True) for v in r if v is not None)


@pytest.fixture
def named_judge(judges):
    judges[0].display_name = "周明评委"
    judges[0].save()
    return judges[0]


def test_results_sheet(users, scored, named_judge):
    sheet = publish(users, scored)
    wb = workbook(results_xlsx.build(sheet))
    assert wb.sheetnames == SHEETS
    ws = wb["考核结果"]
    assert ws["A1"].value == "2025年度述职评议 考核结果"
    assert header(ws) == ["名次", "单位", "书记", "述职方式", "现场/书面评分（30%）", "民主测评（40%）", "日常考核（20%）",
                          "整改成效（10%）", "综合得分", "复算（公式）", "等次", "说明"]
    body = rows(ws)
    assert [(r[0], r[1], r[2], r[10]) for r in body] == [
        (1, "东城街道党工委", "钱东明", "较好"), (2, "西城街道党工委", "孙西华", "较好"), (3, "区教育局党委", "李育才", "差")]
    east = body[0]
    assert [exact(v) for v in east[4:7]] == [94, 100, 95] and east[7] is None
    assert abs(exact(east[8]) - Fraction(8720, 90)) < Fraction(1, 10**12)  # the exact value, not 96.89
    assert ws["I4"].number_format == "0.00" and ws["E4"].number_format == "0.00"
    assert ws["J4"].value == "=(E4*30+F4*40+G4*20)/(30+40+20)"
    for row in (4, 5, 6):  # the formula gives the composite the system computed
        assert abs(evaluate(ws, ws[f"J{row}"].value) - exact(ws[f"I{row}"].value)) < Fraction(1, 10**12)
    assert "超出“好”等次比例" in east[11] and "一票否决" in body[2][11] and "权重折算" in body[2][11]


def test_print_setup_and_frozen_headers(users, scored):
    wb = workbook(results_xlsx.build(publish(users, scored)))
    for ws in wb:
        assert ws.freeze_panes == "A4", ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9  # A4
        assert ws.print_title_rows == "$1:$3"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0


def test_judging_sheet_recomputes_the_trimmed_mean(users, scored, named_judge):
    wb = workbook(results_xlsx.build(publish(users, scored)))
    ws = wb["现场评分"]
    assert header(ws)[:8] == ["单位", "评委", "述职内容（30分）", "工作成效（40分）", "问题查摆与整改（20分）",
                              "现场表现（10分）", "合计", "去掉"]
    east = [r for r in ws.iter_rows(min_row=4) if r[0].value == "东城街道党工委"]
    judges_rows, summary = east[:-1], east[-1]
    assert [exact(r[6].value) for r in judges_rows] == [90, 92, 94, 96, 98]
    assert [r[7].value for r in judges_rows] == ["去掉最低", None, None, None, "去掉最高"]
    assert "周明评委" in [r[1].value for r in judges_rows]
    first = judges_rows[0]  # indicator points add up to the total
    assert sum(exact(c.value) for c in first[2:6]) == exact(first[6].value) == 90
    assert summary[1].value == "述职人得分"
    formula = summary[8].value
    kept = [f"G{r[0].row}" for r in judges_rows[1:4]]
    assert formula == f"=AVERAGE({','.join(kept)})"
    assert evaluate(ws, formula) == exact(summary[9].value) == 94
    assert "去掉最高、最低各 1 个分数后" in summary[10].value
    west = [r for r in ws.iter_rows(min_row=4) if r[0].value == "西城街道党工委"]
    assert len(west) == 5 and evaluate(ws, west[-1][8].value) == exact(west[-1][9].value) == 83  # 4 judges, no trim


def test_ballot_sheet_counts_per_group_and_weighted_score(users, scored):
    wb = workbook(results_xlsx.build(publish(users, scored)))
    ws = wb["民主测评"]
    assert header(ws)[:11] == ["单位", "测评人员类别", "权重（%）", "好", "较好", "一般", "差", "弃权", "有效票",
                               "好评率", "类别得分"]
    edu = [r for r in ws.iter_rows(min_row=4) if r[0].value == "区教育局党委"]
    groups = {r[1].value: r for r in edu}
    leaders = groups["区委领导"]
    assert [leaders[i].value for i in range(3, 9)] == [0, 0, 5, 5, 0, 10]  # 一般×5, 差×5 in group 0
    assert exact(leaders[9].value) == Fraction(0) and leaders[9].number_format == "0.00%"
    assert evaluate(ws, leaders[11].value) == exact(leaders[10].value) == 30
    assert "无有效评价" in groups["党代表"][13].value  # no ballots from that group: drops out
    total = groups["测评得分（合计）"]
    assert [total[i].value for i in range(3, 9)] == [0, 0, 10, 10, 0, 20]
    assert evaluate(ws, total[11].value) == exact(total[12].value) == 30
    assert "一票否决" not in (total[13].value or "") and "超过 1/3" in total[13].value
    east_total = [r for r in ws.iter_rows(min_row=4) if r[0].value == "东城街道党工委"][-1]
    assert exact(east_total[9].value) == 1 and evaluate(ws, east_total[11].value) == 100


def test_routine_and_rectification_sheets(users, scored):
    wb = workbook(results_xlsx.build(publish(users, scored)))
    routine = rows(wb["日常考核"])
    assert routine[0][:3] == ("东城街道党工委", "钱东明", 95) and "第 2 行" in routine[0][3]
    assert routine[2][2] is None and "不计入" in routine[2][3]
    rect = rows(wb["整改成效"])
    assert rect[0][1] == 0 and "没有整改条目" in rect[0][5]


def test_a_reporters_workbook_holds_their_unit_only(users, scored, named_judge,
                                                     django_capture_on_commit_callbacks):
    publish(users, scored)
    job = run(django_capture_on_commit_callbacks, users.reporter, "results_xlsx", scored.campaign)
    assert job.unit_id == users.reporter.unit_id and "东城街道党工委" in job.filename
    wb = workbook(read(job))
    assert wb.sheetnames == SHEETS
    text = all_text(wb)
    assert "东城街道党工委" in text
    for other in ("西城街道党工委", "孙西华", "区教育局党委", "李育才", "周明评委"):
        assert other not in text, other
    assert [r[1] for r in rows(wb["考核结果"])] == ["东城街道党工委"]
    judging = rows(wb["现场评分"])
    assert {r[0] for r in judging} == {"东城街道党工委"}
    assert [r[1] for r in judging][:5] == ["评委1", "评委2", "评委3", "评委4", "评委5"]
    totals = {exact(r[6]) for r in judging if r[6] is not None}
    assert totals == {90, 92, 94, 96, 98}  # none of west's (80…86) or edu's (70…78)
    assert {r[0] for r in rows(wb["民主测评"])} == {"东城街道党工委"}
    other = run(django_capture_on_commit_callbacks, users.other_reporter, "results_xlsx", scored.campaign)
    assert [r[1] for r in rows(workbook(read(other))["考核结果"])] == ["西城街道党工委"]


def test_an_unpublished_workbook_says_so(users, scored):
    sheet = results.compute_results(users.organiser, scored.campaign)
    wb = workbook(results_xlsx.build(sheet))
    assert "尚未公布" in wb["考核结果"]["A2"].value
