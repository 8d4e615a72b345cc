"""整改台账 .xlsx: template, export (scope and filters), all-or-nothing import with named places, round trip, and the
permissions of the template/export/import pages."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from shuping.audit.models import AuditEvent
from shuping.rectification import actions, ledger_xlsx
from shuping.rectification.ledger_rules import (
    DUTY_SHEET,
    HEADERS,
    PROBLEM_SHEET,
    TASK_SHEET,
    LedgerRejected,
    parse_date,
)
from shuping.rectification.models import EntryState, LedgerEntry, Source

pytestmark = pytest.mark.django_db
EXPORT, IMPORT, TEMPLATE = reverse("rectification:export"), reverse("rectification:import"), \
    reverse("rectification:template")


def sheets_of(data: bytes) -> dict[str, list[list[Any]]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def edit(data: bytes, change: Any) -> bytes:
    """Open a workbook, let `change(wb)` edit it, save it again."""
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def set_cell(wb: Any, sheet: str, row: int, column: str, value: Any) -> None:
    wb[sheet].cell(row=row, column=HEADERS[sheet].index(column) + 1, value=value)


def workbook(problems: list[list[Any]], tasks: list[list[Any]], duties: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = PROBLEM_SHEET
    for sheet, rows in ((PROBLEM_SHEET, problems), (TASK_SHEET, tasks), (DUTY_SHEET, duties)):
        ws = wb[sheet] if sheet in wb.sheetnames else wb.create_sheet(sheet)
        ws.append(HEADERS[sheet])
        for r in rows:
            ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rejected(organiser: Any, data: bytes, name: str = "台账.xlsx") -> list[str]:
    with pytest.raises(LedgerRejected) as info:
        ledger_xlsx.import_ledger(organiser, data, name)
    return info.value.messages


def snapshot() -> list[tuple[Any, ...]]:
    return list(LedgerEntry.objects.order_by("pk").values_list(
        "pk", "unit_id", "campaign_id", "problem", "category", "source", "source_ref", "measures", "target",
        "deadline", "responsible_id", "responsible_name", "state"))


# ---------------------------------------------------------------- export and round trip

def test_export_has_the_three_lists_with_every_field(users, district, entry, west_entry):
    data = ledger_xlsx.export_bytes(ledger_xlsx.entries_for(users.organiser, actions.Filters()))
    s = sheets_of(data)
    assert list(s) == [PROBLEM_SHEET, TASK_SHEET, DUTY_SHEET, "说明"]
    assert s[PROBLEM_SHEET][0] == HEADERS[PROBLEM_SHEET]
    assert s[PROBLEM_SHEET][1] == [1, entry.pk, 2025, "Q01", "东城街道党工委", "基层党组织书记培训覆盖面不足", "党务队伍建设",
                                   "督查", "2025年第二季度党建督查", "整改中", None]
    assert s[TASK_SHEET][1] == [1, "Q01", "基层党组织书记培训覆盖面不足", "分批轮训社区书记", "年内轮训全覆盖",
                                datetime.datetime(2026, 6, 30)]
    assert s[DUTY_SHEET][1] == [1, "Q01", "基层党组织书记培训覆盖面不足", "钱东明"]
    assert s[DUTY_SHEET][2] == [2, "Q02", "党员活动阵地利用率不高", "周主任"]


def test_round_trip_reproduces_the_entries(users, district, entry, west_entry):
    LedgerEntry.objects.filter(pk=west_entry.pk).update(state=EntryState.CLOSED,
                                                       closed_at=timezone.now() - datetime.timedelta(days=3))
    before = snapshot()
    data = ledger_xlsx.export_bytes(ledger_xlsx.entries_for(users.organiser, actions.Filters()))
    assert sheets_of(data)[PROBLEM_SHEET][2][9:] == ["已销号", datetime.datetime.combine(
        timezone.localdate() - datetime.timedelta(days=3), datetime.time())]
    result = ledger_xlsx.import_ledger(users.organiser, data, "台账.xlsx")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert snapshot() == before
    event = AuditEvent.objects.get(action="ledger.import")
    assert event.summary == "导入整改台账“台账.xlsx”：共 2 条：新增 0、更新 0、未变 2"
    assert event.data["unchanged"] == 2 and event.data["created"] == 0


def test_import_updates_by_entry_id_and_creates_new_rows(users, district, entry, west_entry, campaign):
    exported = ledger_xlsx.export_bytes(ledger_xlsx.entries_for(users.organiser, actions.Filters()))

    def change(wb: Any) -> None:
        set_cell(wb, TASK_SHEET, 2, "整改措施", "分三批轮训社区书记，每批不少于 20 人")
        set_cell(wb, TASK_SHEET, 2, "整改时限", datetime.datetime(2026, 9, 30))
        set_cell(wb, DUTY_SHEET, 3, "责任人", "孙西华")  # the west secretary: linked to the person
        wb[PROBLEM_SHEET].append([3, None, 2025, "Q11", "", "党建经费使用台账不完整", "阵地与经费保障", "", "自查发现"])
        wb[TASK_SHEET].append([3, "Q11", "", "逐笔核对经费台账", "建立经费使用季度公示", "2026/3/31"])
        wb[DUTY_SHEET].append([3, "Q11", "", "王会计"])

    result = ledger_xlsx.import_ledger(users.organiser, edit(exported, change), "台账（修改）.xlsx")
    assert (result.created, result.updated, result.unchanged) == (1, 2, 0)
    entry.refresh_from_db()
    assert entry.measures == "分三批轮训社区书记，每批不少于 20 人" and entry.deadline == datetime.date(2026, 9, 30)
    assert entry.problem == "基层党组织书记培训覆盖面不足" and entry.source == Source.INSPECTION  # untouched
    west_entry.refresh_from_db()
    assert west_entry.responsible == district.west.secretary and west_entry.responsible_name == ""
    new = LedgerEntry.objects.get(unit=district.edu)
    assert (new.source, new.campaign, new.category, new.source_ref, new.deadline, new.responsible_name,
            new.state, new.created_by) == (Source.IMPORT, campaign, "resources", "自查发现", datetime.date(2026, 3, 31),
                                           "王会计", EntryState.OPEN, users.organiser)
    assert AuditEvent.objects.filter(action="ledger.import").count() == 1
    # Export again, import again: nothing changes any more.
    again = ledger_xlsx.export_bytes(ledger_xlsx.entries_for(users.organiser, actions.Filters()))
    before = snapshot()
    result = ledger_xlsx.import_ledger(users.organiser, again, "再次.xlsx")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert snapshot() == before


def test_template_imports_as_a_new_entry(users, district):
    result = ledger_xlsx.import_ledger(users.organiser, ledger_xlsx.template_bytes(), "模板.xlsx")
    assert result.created == 1
    e = LedgerEntry.objects.get()
    assert (e.unit, e.source, e.campaign, e.category, e.responsible_name) == (
        district.east, Source.IMPORT, None, "members", "张三")


# ---------------------------------------------------------------- refusals

def test_every_problem_is_named_and_nothing_is_kept(users, district, entry):
    before, events = snapshot(), AuditEvent.objects.count()
    data = workbook(
        problems=[
            [1, None, 2025, "Q99", "", "问题一", "党务队伍建设", "", ""],  # unknown unit
            [2, None, None, "Q01", "", "问题二", "组织建设", "", ""],  # unknown category label
            [3, None, None, "Q01", "", "", "作风建设", "", ""],  # no problem text
            [3, None, None, "Q02", "", "问题四", "作风建设", "", ""],  # duplicate 序号
            [5, 99999, 2019, "Q02", "", "问题五", "作风建设", "", ""],  # unknown entry, no campaign that year
            [6, entry.pk, None, "Q02", "", "问题六", "作风建设", "", ""],  # moves an east entry to west
        ],
        tasks=[[1, "Q99", "", "", "", "2025-13-01"], [2, "Q01", "", "", "", "下月底"], [3, "Q01", "", "", "", None],
               [5, "Q01", "", "", "", None], [6, "Q02", "", "", "", None], [7, "Q01", "", "", "", None]],
        duties=[[1, "Q99", "", ""], [2, "Q01", "", ""], [3, "Q01", "", ""], [5, "Q02", "", ""]],
    )
    messages = rejected(users.organiser, data)
    f = "文件“台账.xlsx”"
    assert messages == [
        f"{f} 工作表“问题清单” 第 2 行 “单位代码”列：单位代码“Q99”在系统中不存在",
        f"{f} 工作表“问题清单” 第 3 行 “问题类别”列：“组织建设”不是允许的问题类别（政治建设与理论武装、第一责任人责任落实、"
        "组织体系与软弱涣散整顿、党务队伍建设、党员教育管理、党建引领基层治理、作风建设、阵地与经费保障、党建与业务融合、党风廉政建设）",
        f"{f} 工作表“问题清单” 第 4 行 “问题”列：问题内容为空",
        f"{f} 工作表“问题清单” 第 5 行 “序号”列：序号 3 重复（第 4 行已有）",
        f"{f} 工作表“问题清单” 第 6 行 “条目编号”列：条目编号 99999 在系统中不存在（新增的问题请将条目编号留空）",
        f"{f} 工作表“问题清单” 第 6 行 “考核年度”列：系统中没有 2019 年度的考核方案",
        f"{f} 工作表“问题清单” 第 7 行 “序号”列：序号 6 在“责任清单”中没有对应的行（三张清单的序号须一一对应）",
        f"{f} 工作表“问题清单” 第 7 行 “单位代码”列：条目 {entry.pk} 属于单位“Q01”，不能通过导入改为其他单位",
        f"{f} 工作表“任务清单” 第 2 行 “整改时限”列：“2025-13-01”不是有效日期（请填写日期，如 2025-06-30）",
        f"{f} 工作表“任务清单” 第 3 行 “整改时限”列：“下月底”不是有效日期（请填写日期，如 2025-06-30）",
        f"{f} 工作表“任务清单” 第 5 行 “单位代码”列：单位代码“Q01”与“问题清单”第 6 行（序号 5）的“Q02”不一致",
        f"{f} 工作表“任务清单” 第 7 行 “序号”列：序号 7 在“问题清单”中不存在（三张清单的序号须一一对应）",
    ]
    assert snapshot() == before and AuditEvent.objects.count() == events


def test_a_closed_entry_is_not_changed_by_a_file(users, district, entry):
    LedgerEntry.objects.filter(pk=entry.pk).update(state=EntryState.CLOSED, closed_at=timezone.now())
    exported = ledger_xlsx.export_bytes(ledger_xlsx.entries_for(users.organiser, actions.Filters()))
    changed = edit(exported, lambda wb: set_cell(wb, TASK_SHEET, 2, "整改时限", datetime.datetime(2027, 1, 1)))
    assert rejected(users.organiser, changed, "a.xlsx") == [
        f"文件“a.xlsx” 工作表“问题清单” 第 2 行 “条目编号”列：条目 {entry.pk} 已销号，不能通过导入修改（改动了：整改时限）；"
        "如确需修改，请先在台账中重新打开该条目"]
    entry.refresh_from_db()
    assert entry.deadline == datetime.date(2026, 6, 30)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("台账.csv", b"a,b\n", "不是 .xlsx 文件"),
    ("台账.xlsm", b"PK\x03\x04", "不接受启用宏的工作簿"),
    ("台账.xlsx", b"not a zip at all", "文件已损坏或不是有效的 .xlsx 工作簿"),
])
def test_unreadable_files_are_refused(users, name, data, message):
    (m,) = rejected(users.organiser, data, name)
    assert m.startswith(f"文件“{name}”：") and message in m
    assert not LedgerEntry.objects.exists()


def test_missing_sheet_and_header_are_named(users, district):
    wb = Workbook()
    wb.active.title = PROBLEM_SHEET
    wb.active.append(["序号", "单位代码", "问题"])
    wb.create_sheet(TASK_SHEET).append(HEADERS[TASK_SHEET])
    out = io.BytesIO()
    wb.save(out)
    messages = rejected(users.organiser, out.getvalue())
    assert "文件“台账.xlsx” 工作表“问题清单” 第 1 行 “条目编号”列：缺少表头列" in messages[0]
    assert any(m.startswith("文件“台账.xlsx” 工作表“责任清单”：缺少工作表“责任清单”") for m in messages)


def test_parse_date_forms():
    assert parse_date("2025年6月30日") == (datetime.date(2025, 6, 30), "")
    assert parse_date("2025.6.30") == (datetime.date(2025, 6, 30), "")
    assert parse_date(datetime.datetime(2025, 6, 30, 0, 0)) == (datetime.date(2025, 6, 30), "")
    assert parse_date(None) == (None, "")
    assert parse_date(45000)[1].startswith("“45000”不是有效日期")


def test_import_is_for_organisers_only(users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        ledger_xlsx.import_ledger(users.observer, ledger_xlsx.template_bytes(), "模板.xlsx")
    assert not LedgerEntry.objects.exists()


# ---------------------------------------------------------------- pages and permissions

def test_export_scope_per_role(users, district, entry, west_entry, client_for):
    def problems(user: Any, query: str = "") -> list[str]:
        resp = client_for(user).get(EXPORT + query)
        assert resp.status_code == 200
        assert resp["Content-Type"] == ledger_xlsx.XLSX_TYPE
        return [r[5] for r in sheets_of(resp.content)[PROBLEM_SHEET][1:]]

    both = ["基层党组织书记培训覆盖面不足", "党员活动阵地利用率不高"]
    for reader in (users.organiser, users.observer, users.chair):
        assert problems(reader) == both
    assert problems(users.reporter) == both[:1] and problems(users.owner) == both[:1]
    assert problems(users.other_reporter) == both[1:]
    # The ledger list's filters apply; a unit role asking for another unit gets nothing of it.
    assert problems(users.organiser, f"?unit={district.west.pk}") == both[1:]
    assert problems(users.organiser, "?category=workforce") == both[:1]
    assert problems(users.reporter, f"?unit={district.west.pk}") == []
    for user in (users.judge, users.teller, users.admin, users.nobody):
        assert client_for(user).get(EXPORT).status_code == 403
    assert client_for(users.organiser).get(EXPORT)["Content-Disposition"].startswith("attachment;")


def test_template_and_import_pages_permissions(users, client_for):
    for user in (users.observer, users.chair, users.reporter, users.owner, users.judge, users.nobody):
        assert client_for(user).get(TEMPLATE).status_code == 403
        assert client_for(user).get(IMPORT).status_code == 403
        assert client_for(user).post(IMPORT, {"file": SimpleUploadedFile("t.xlsx", ledger_xlsx.template_bytes())}
                                     ).status_code == 403
    assert not LedgerEntry.objects.exists()
    c = client_for(users.organiser)
    assert c.get(TEMPLATE).status_code == 200
    assert "导入整改台账" in c.get(IMPORT).content.decode()


def test_import_page_shows_result_or_every_problem(users, district, client_for):
    c = client_for(users.organiser)
    bad = workbook([[1, None, None, "Q99", "", "问题", "作风建设", "", ""]], [[1, "Q99", "", "", "", None]],
                   [[1, "Q99", "", ""]])
    resp = c.post(IMPORT, {"file": SimpleUploadedFile("坏.xlsx", bad)})
    html = resp.content.decode()
    assert resp.status_code == 422
    assert "未导入：文件“坏.xlsx”共有 1 处问题" in html
    assert "文件“坏.xlsx” 工作表“问题清单” 第 2 行 “单位代码”列：单位代码“Q99”在系统中不存在" in html
    assert not LedgerEntry.objects.exists()
    resp = c.post(IMPORT, {"file": SimpleUploadedFile("模板.xlsx", ledger_xlsx.template_bytes())})
    assert resp.status_code == 200
    assert "共 1 条：新增 1、更新 0、未变 0" in resp.content.decode()
    assert LedgerEntry.objects.get().source == Source.IMPORT
