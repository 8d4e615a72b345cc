"""The pure roster rules: reading and validating a workbook, without the database."""

from __future__ import annotations

from shuping.orgs.roster_rules import (
    UNIT_HEADERS,
    find_cycles,
    read_roster,
    validate_roster,
)
from shuping.orgs.tests.workbooks import unit_row, xlsx

TYPES = ["党委", "党工委", "党组"]
CATEGORIES = ["区县委", "街道", "机关"]


def problems(data: bytes, existing: dict[str, str] | None = None, filename: str = "名册.xlsx") -> list[str]:
    roster = read_roster(data, filename)
    return [p.message(filename) for p in validate_roster(roster, existing or {}, TYPES, CATEGORIES)]


def test_a_clean_file_has_no_problems_and_typed_rows():
    data = xlsx([unit_row("Q", parent="", type="党委", category="区县委"), unit_row(1001, parent="Q", order=2.0)],
                [["王五", "1001", "组织委员", "男", 13800000000]])
    roster = read_roster(data, "名册.xlsx")
    assert validate_roster(roster, {}, TYPES, CATEGORIES) == []
    assert roster.units[1].code == "1001" and roster.units[1].sort_order == 2 and roster.units[1].row == 3
    assert roster.people[0].phone == "13800000000"


def test_it_names_file_sheet_row_and_column_for_a_missing_secretary():
    msgs = problems(xlsx([unit_row("Q01", secretary="")]))
    assert msgs == ["文件“名册.xlsx” 工作表“单位” 第 2 行 “书记姓名”列：书记姓名为空：每个单位必须填写书记"]


def test_it_reports_missing_required_values():
    msgs = problems(xlsx([["", "", "", "党委", "街道", "", "某人", "", "", ""]]))
    assert any("第 2 行 “单位代码”列：必填项为空" in m for m in msgs)
    assert any("第 2 行 “单位名称”列：必填项为空" in m for m in msgs)


def test_it_reports_an_unknown_parent_code():
    msgs = problems(xlsx([unit_row("Q01", parent="NOPE")]))
    assert msgs == ["文件“名册.xlsx” 工作表“单位” 第 2 行 “上级单位代码”列：上级单位代码“NOPE”在文件和系统中都不存在"]


def test_a_parent_in_the_database_is_known():
    assert problems(xlsx([unit_row("Q01", parent="Q")]), existing={"Q": ""}) == []


def test_a_parent_later_in_the_file_is_known():
    assert problems(xlsx([unit_row("Q01", parent="Q"), unit_row("Q", type="党委", category="区县委")])) == []


def test_it_reports_duplicate_codes_within_the_file():
    msgs = problems(xlsx([unit_row("Q01"), unit_row("Q02"), unit_row("Q01")]))
    assert msgs == ["文件“名册.xlsx” 工作表“单位” 第 4 行 “单位代码”列：单位代码“Q01”重复（第 2 行已有）"]


def test_it_reports_a_cycle_within_the_file():
    msgs = problems(xlsx([unit_row("A", parent="C"), unit_row("B", parent="A"), unit_row("C", parent="B")]))
    assert len(msgs) == 1
    assert "第 2 行 “上级单位代码”列：上级关系形成循环" in msgs[0]
    assert "A" in msgs[0] and "B" in msgs[0] and "C" in msgs[0]


def test_it_reports_a_cycle_through_existing_database_units():
    # Database: Q ← Q01 ← Q0101. The file makes Q a child of Q0101.
    existing = {"Q": "", "Q01": "Q", "Q0101": "Q01"}
    msgs = problems(xlsx([unit_row("Q", parent="Q0101", type="党委", category="区县委")]), existing)
    assert len(msgs) == 1 and "上级关系形成循环" in msgs[0] and "第 2 行" in msgs[0]


def test_it_refuses_a_unit_as_its_own_parent():
    msgs = problems(xlsx([unit_row("Q01", parent="Q01")]))
    assert any("上级单位不能是本单位" in m for m in msgs)


def test_it_reports_wrong_type_and_category():
    msgs = problems(xlsx([unit_row("Q01", type="支部委员会", category="街区")]))
    assert "第 2 行 “组织类型”列：“支部委员会”不是允许的组织类型（党委、党工委、党组）" in msgs[0]
    assert "第 2 行 “类别”列：“街区”不是允许的类别" in msgs[1]


def test_it_reports_a_non_integer_order():
    msgs = problems(xlsx([unit_row("Q01", order="第一")]))
    assert msgs == ["文件“名册.xlsx” 工作表“单位” 第 2 行 “排序”列：“第一”不是整数"]


def test_it_reports_too_long_values():
    msgs = problems(xlsx([unit_row("X" * 40)]))
    assert any("“单位代码”列：长度 40 超过上限 32 个字符" in m for m in msgs)


def test_it_checks_the_people_sheet():
    data = xlsx([unit_row("Q01", secretary="钱东明")],
                [["", "Q01", "", "", ""], ["李四", "NOPE", "", "", ""], ["王五", "Q01", "", "未知", ""],
                 ["王五", "Q01", "", "", ""], ["钱东明", "Q01", "副书记", "", ""]])
    msgs = problems(data)
    assert any("工作表“人员” 第 2 行 “姓名”列：必填项为空" in m for m in msgs)
    assert any("工作表“人员” 第 3 行 “所属单位代码”列：单位代码“NOPE”在文件和系统中都不存在" in m for m in msgs)
    assert any("工作表“人员” 第 4 行 “性别”列" in m for m in msgs)
    assert any("工作表“人员” 第 5 行 “姓名”列：“王五”在单位“Q01”下重复（第 4 行已有）" in m for m in msgs)
    assert any("工作表“人员” 第 6 行 “姓名”列：“钱东明”已是单位“Q01”的书记" in m for m in msgs)


def test_it_collects_every_problem_not_just_the_first():
    rows = [unit_row(f"U{i}", secretary="") for i in range(300)]
    assert len(problems(xlsx(rows))) == 300


def test_it_refuses_a_file_that_is_not_xlsx():
    assert problems(b"a,b,c\n", filename="名册.csv") == [
        "文件“名册.csv”：不是 .xlsx 文件，请使用“下载模板”得到的 Excel 工作簿（.xlsx）"]


def test_it_refuses_a_corrupt_file():
    assert problems(b"PK\x03\x04 not really a zip") == ["文件“名册.xlsx”：文件已损坏或不是有效的 .xlsx 工作簿"]
    assert problems(xlsx([unit_row("Q01")])[:500]) == ["文件“名册.xlsx”：文件已损坏或不是有效的 .xlsx 工作簿"]


def test_it_reports_a_missing_sheet():
    assert problems(xlsx([], sheets=("人员",))) == ["文件“名册.xlsx” 工作表“单位”：缺少工作表“单位”"]


def test_the_people_sheet_is_optional():
    assert problems(xlsx([unit_row("Q01")], sheets=("单位",))) == []


def test_it_reports_each_missing_header_column():
    headers = [h for h in UNIT_HEADERS if h not in ("类别", "书记姓名")]
    msgs = problems(xlsx([], unit_headers=headers))
    assert msgs == ["文件“名册.xlsx” 工作表“单位” 第 1 行 “类别”列：缺少表头列",
                    "文件“名册.xlsx” 工作表“单位” 第 1 行 “书记姓名”列：缺少表头列"]


def test_columns_may_come_in_any_order_and_blank_rows_are_skipped():
    headers = list(reversed(UNIT_HEADERS))
    data = xlsx([list(reversed(unit_row("Q01"))), [None] * 10, list(reversed(unit_row("Q02")))], unit_headers=headers)
    roster = read_roster(data, "名册.xlsx")
    assert [(u.code, u.row) for u in roster.units] == [("Q01", 2), ("Q02", 4)]


def test_it_refuses_too_many_rows(monkeypatch):
    from shuping.orgs import roster_rules

    monkeypatch.setattr(roster_rules, "MAX_ROWS", 3)
    msgs = problems(xlsx([unit_row(f"U{i}") for i in range(4)]))
    assert msgs == ["文件“名册.xlsx” 工作表“单位”：行数超过上限 3，请拆分后分批导入"]


def test_find_cycles_reports_each_cycle_once():
    cycles = find_cycles({"A": "B", "B": "A", "C": "A", "D": "E", "E": "F", "F": "D", "G": ""})
    assert sorted(sorted(c) for c in cycles) == [["A", "B"], ["D", "E", "F"]]
