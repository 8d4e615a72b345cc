"""日常考核 workbook rules without the database: reading, Decimal scores, every refusal with its place."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from shuping.scoring import routine_rules as rules
from shuping.scoring.routine_rules import parse_score, read_routine, validate_routine
from shuping.scoring.tests.routine_workbooks import row, with_cached_values, with_member, xlsx

UNITS = {"Q01": "东城街道党工委", "Q02": "西城街道党工委", "Q11": "区教育局党委", "Q": "示例区委"}
PARTICIPANTS = {"Q01", "Q02", "Q11"}


def messages(data: bytes, filename: str = "日常考核.xlsx") -> list[str]:
    sheet = read_routine(data, filename)
    return [p.message(filename) for p in validate_routine(sheet, UNITS, PARTICIPANTS)]


def test_a_clean_file_gives_decimal_scores_and_row_numbers():
    sheet = read_routine(xlsx([row("Q01", 87.3, "东城街道党工委", "钱东明"), row("Q02", 90), row("Q11", "88.50")]), "a.xlsx")
    assert sheet.problems == []
    assert [(r.row, r.code, r.score) for r in sheet.rows] == [
        (2, "Q01", Decimal("87.30")), (3, "Q02", Decimal("90.00")), (4, "Q11", Decimal("88.50"))]
    assert all(isinstance(r.score, Decimal) for r in sheet.rows)
    assert sheet.rows[0].name == "东城街道党工委" and sheet.rows[0].secretary == "钱东明"
    assert validate_routine(sheet, UNITS, PARTICIPANTS) == []


@pytest.mark.parametrize(("value", "expected"), [
    (87.3, Decimal("87.3")), (0.1, Decimal("0.1")), (99.99, Decimal("99.99")), (100, Decimal(100)), (0, Decimal(0)),
    (59.5, Decimal("59.5")), (Decimal("70.25"), Decimal("70.25")), (" 66.6 ", Decimal("66.6")), ("80.500", Decimal("80.5")),
])
def test_numbers_become_exact_decimals(value, expected):
    score, reason = parse_score(value)
    assert reason == "" and score == expected and isinstance(score, Decimal)
    assert score.as_tuple().exponent == -2  # stored with two places, as the model keeps them


@pytest.mark.parametrize(("value", "reason"), [
    (None, "日常考核得分为空"),
    ("  ", "日常考核得分为空"),
    ("八十", "“八十”不是数字"),
    ("85分", "“85分”不是数字"),
    ("1e2", "“1e2”不是数字"),
    ("NaN", "“NaN”不是数字"),
    (True, "“True”不是数字"),
    (datetime.datetime(2025, 1, 1), "不是数字"),
    (float("nan"), "不是数字"),
    (-0.5, "得分 -0.5 超出 0–100 的范围"),
    (100.01, "得分 100.01 超出 0–100 的范围"),
    (101, "得分 101 超出 0–100 的范围"),
    (87.345, "得分 87.345 超过 2 位小数"),
    ("90.001", "得分 90.001 超过 2 位小数"),
    (0.1 + 0.2, "得分 0.30000000000000004 超过 2 位小数"),
])
def test_bad_scores_are_refused_with_a_reason(value, reason):
    score, got = parse_score(value)
    assert score is None and reason in got


def test_every_problem_names_file_sheet_row_and_column():
    got = messages(xlsx([row("Q01", 80), row("Q02", "abc"), row("Q11", 101), row("", 70), row("Q", 75)]), "三月.xlsx")
    assert got == [
        "文件“三月.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：“abc”不是数字",
        "文件“三月.xlsx” 工作表“日常考核” 第 4 行 “日常考核得分”列：得分 101 超出 0–100 的范围",
        "文件“三月.xlsx” 工作表“日常考核” 第 5 行 “单位代码”列：单位代码为空",
        "文件“三月.xlsx” 工作表“日常考核” 第 6 行 “单位代码”列：单位“示例区委”（Q）不是本考核方案的述职对象",
    ]


def test_it_reports_unknown_units_and_duplicates():
    got = messages(xlsx([row("Q01", 80), row("ZZ9", 80), row("Q01", 81)]))
    assert got == [
        "文件“日常考核.xlsx” 工作表“日常考核” 第 3 行 “单位代码”列：单位代码“ZZ9”在系统中不存在",
        "文件“日常考核.xlsx” 工作表“日常考核” 第 4 行 “单位代码”列：单位代码“Q01”重复（第 2 行已有）",
    ]


def test_numeric_unit_codes_are_read_as_text():
    sheet = read_routine(xlsx([row(101, 80)]), "a.xlsx")
    assert sheet.rows[0].code == "101"


def test_blank_rows_are_skipped_and_rows_keep_their_numbers():
    sheet = read_routine(xlsx([row("Q01", 80), [None, None, None, None], row("Q02", 81), ["", " ", "", ""]]), "a.xlsx")
    assert [(r.row, r.code) for r in sheet.rows] == [(2, "Q01"), (4, "Q02")]


def test_columns_may_come_in_any_order_and_other_columns_are_ignored():
    headers = ["日常考核得分", "备注", "述职人", "单位代码", "单位名称"]
    sheet = read_routine(xlsx([[88, "好", "钱东明", "Q01", "东城"]], headers=headers), "a.xlsx")
    assert sheet.problems == [] and (sheet.rows[0].code, sheet.rows[0].score) == ("Q01", Decimal("88.00"))


@pytest.mark.parametrize(("headers", "missing"), [
    (["单位代码", "单位名称", "述职人", "得分"], ["日常考核得分"]),
    (["单位编码", "单位名称", "述职人", "日常考核得分"], ["单位代码"]),
    (["单位代码", "日常考核得分"], ["单位名称", "述职人"]),
])
def test_a_missing_or_renamed_header_column_is_refused(headers, missing):
    got = messages(xlsx([["Q01", 80, "", ""]], headers=headers))
    assert got == [f"文件“日常考核.xlsx” 工作表“日常考核” 第 1 行 “{h}”列：缺少表头列（第 1 行须为：单位代码、单位名称、述职人、"
                   "日常考核得分；请勿改动模板表头）" for h in missing]


def test_a_header_that_is_not_in_row_1_is_refused():
    got = messages(xlsx([row("Q01", 80)], before_header=[["2025年度日常考核"]]))
    assert len(got) == 4 and all("第 1 行" in m and "缺少表头列" in m for m in got)


def test_a_missing_sheet_is_refused():
    got = messages(xlsx([row("Q01", 80)], sheet="Sheet1"))
    assert got == ["文件“日常考核.xlsx” 工作表“日常考核”：缺少工作表“日常考核”（现有：Sheet1）"]


def test_an_empty_sheet_is_refused():
    assert messages(xlsx([])) == ["文件“日常考核.xlsx” 工作表“日常考核”：没有数据行：请在表头下逐行填写各单位的日常考核得分"]


@pytest.mark.parametrize(("data", "filename", "reason"), [
    (b"a,b\n", "scores.csv", rules.NOT_XLSX),
    (b"PK\x03\x04 not really", "scores.xls", rules.NOT_XLSX),
    (b"this is not a workbook", "日常考核.xlsx", rules.CORRUPT),
    (xlsx([row("Q01", 80)])[:500], "日常考核.xlsx", rules.CORRUPT),
    (xlsx([row("Q01", 80)]), "日常考核.xlsm", rules.MACRO),
    (with_member(xlsx([row("Q01", 80)]), "xl/vbaProject.bin", b"\x00" * 64), "日常考核.xlsx", rules.MACRO),
])
def test_files_that_cannot_be_read_are_refused(data, filename, reason):
    assert messages(data, filename) == [f"文件“{filename}”：{reason}"]


def test_a_zip_that_is_not_a_workbook_is_refused():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    assert messages(buf.getvalue()) == [f"文件“日常考核.xlsx”：{rules.CORRUPT}"]


def test_a_file_over_5_mb_is_refused_before_it_is_opened():
    data = xlsx([row("Q01", 80)]) + b"\x00" * (5 * 1024 * 1024)
    assert messages(data) == ["文件“日常考核.xlsx”：文件过大（超过 5 MB），请只保留“日常考核”工作表后上传"]


def test_a_formula_without_a_cached_value_is_refused():
    got = messages(xlsx([row("Q01", 80), row("Q02", "=80+5"), row("=\"Q\"&\"11\"", 70)]))
    assert got == [
        "文件“日常考核.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：单元格是公式但没有计算结果（请在 Excel/WPS "
        "中打开并保存，或改为直接填写数值）",
        "文件“日常考核.xlsx” 工作表“日常考核” 第 4 行 “单位代码”列：单元格是公式但没有计算结果（请在 Excel/WPS "
        "中打开并保存，或改为直接填写数值）",
    ]


def test_a_formula_with_a_cached_value_uses_that_value():
    data = with_cached_values(xlsx([row("Q01", "=80+5.5")]), {"D2": "85.5"})
    sheet = read_routine(data, "a.xlsx")
    assert sheet.problems == [] and sheet.rows[0].score == Decimal("85.50")


def test_it_collects_every_problem_not_just_the_first():
    rows = [row(f"X{i}", 80) for i in range(30)] + [row("Q01", "x")]
    assert len(messages(xlsx(rows))) == 31


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(rules, "MAX_ROWS", 3)
    got = messages(xlsx([row("Q01", 80), row("Q02", 80), row("Q11", 80), row("Q", 80)]))
    assert "行数超过上限 3" in got[0]
