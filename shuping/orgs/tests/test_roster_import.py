"""Roster import and export through the database: all or nothing, idempotent, round trip, audited."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from shuping.audit.models import AuditEvent
from shuping.orgs import actions, roster
from shuping.orgs.models import Person, Unit
from shuping.orgs.roster_rules import RosterRejected
from shuping.orgs.tests.workbooks import unit_row, xlsx


def small_roster() -> bytes:
    return xlsx(
        [unit_row("Q03", "南城街道党工委", parent="Q", secretary="周南", phone="13700000001", order=3),
         unit_row("Q0301", "南城街道第一社区党委", parent="Q03", secretary="吴一", type="党委", order=1),
         unit_row("Q01", "东城街道党工委", parent="Q", secretary="钱东明", order=1)],
        [["郑副", "Q03", "副书记", "女", "13700000002"], ["冯委员", "Q01", "组织委员", "男", ""]],
    )


def snapshot() -> list[tuple]:
    units = list(Unit.objects.order_by("code").values_list("code", "name", "short_name", "type", "category",
                                                             "parent__code", "secretary__name", "sort_order"))
    people = list(Person.objects.order_by("unit__code", "name").values_list("unit__code", "name", "position",
                                                                            "gender", "phone"))
    return units + people


def test_it_imports_units_people_and_secretaries(users, district):
    result = actions.import_roster(users.organiser, small_roster(), "名册.xlsx")
    south = Unit.objects.get(code="Q03")
    assert south.parent == district.root and south.secretary.name == "周南" and south.secretary.phone == "13700000001"
    assert Unit.objects.get(code="Q0301").parent == south
    assert set(south.people.values_list("name", flat=True)) == {"周南", "郑副"}
    assert (result.units_created, result.units_updated, result.units_unchanged) == (2, 0, 1)
    assert (result.people_created, result.people_updated, result.people_unchanged) == (4, 0, 1)
    # Units in the database but not in the file are kept, and said so.
    # (Q is only named as a parent, not listed as a row, so it counts as absent too.)
    assert sorted(c for c, _ in result.absent) == ["Q", "Q02", "Q11"]
    assert Unit.objects.filter(code__in=["Q", "Q02", "Q11"]).count() == 3
    assert "文件中未出现的单位 3 个（未删除）" in result.summary()


def test_importing_the_same_file_twice_changes_nothing(users, district):
    data = small_roster()
    actions.import_roster(users.organiser, data, "名册.xlsx")
    before = snapshot()
    again = actions.import_roster(users.organiser, data, "名册.xlsx")
    assert snapshot() == before
    assert "单位：新增 0、更新 0、未变 3" in again.summary()
    assert (again.people_created, again.people_updated) == (0, 0)


def test_reimport_updates_units_by_code(users, district):
    data = xlsx([unit_row("Q01", "东城街道党工委（新）", parent="Q", secretary="新书记", order=9)])
    result = actions.import_roster(users.organiser, data, "名册.xlsx")
    east = Unit.objects.get(code="Q01")
    assert (east.pk, east.name, east.sort_order, east.secretary.name) == (district.east.pk, "东城街道党工委（新）", 9, "新书记")
    assert Person.objects.filter(unit=east, name="钱东明").exists()  # the former secretary stays as a person
    assert result.units_updated == 1


def test_import_is_audited_once_with_counts_and_sha256(users, district):
    import hashlib

    data = small_roster()
    n = AuditEvent.objects.count()
    actions.import_roster(users.organiser, data, "名册.xlsx")
    assert AuditEvent.objects.count() == n + 1
    ev = AuditEvent.objects.order_by("-seq").first()
    assert ev.action == "roster.import" and ev.actor == "organiser"
    assert ev.data["sha256"] == hashlib.sha256(data).hexdigest()
    assert ev.data["units"] == {"created": 2, "updated": 0, "unchanged": 1}


@pytest.mark.parametrize(("rows", "expected"), [
    ([unit_row("Q03", parent="Q", secretary="")], "“书记姓名”列：书记姓名为空"),
    ([unit_row("Q03", parent="ZZ")], "上级单位代码“ZZ”在文件和系统中都不存在"),
    ([unit_row("Q03", parent="Q"), unit_row("Q03", parent="Q")], "单位代码“Q03”重复"),
    ([unit_row("Q03", parent="Q", type="委员会")], "“组织类型”列：“委员会”不是允许的组织类型"),
    ([unit_row("Q03", parent="Q", category="社区")], "“类别”列：“社区”不是允许的类别"),
    ([unit_row("Q", parent="Q01", type="党委", category="区县委")], "上级关系形成循环"),
])
def test_a_bad_file_keeps_nothing(users, district, rows, expected):
    good = [unit_row("Q09", parent="Q", secretary="好人")]
    before, events = snapshot(), AuditEvent.objects.count()
    with pytest.raises(RosterRejected) as exc:
        actions.import_roster(users.organiser, xlsx(good + rows), "坏名册.xlsx")
    assert any(expected in m and "工作表“单位”" in m and "坏名册.xlsx" in m for m in exc.value.messages), exc.value.messages
    assert snapshot() == before and AuditEvent.objects.count() == events
    assert not Unit.objects.filter(code="Q09").exists()


def test_only_organisers_import(users, district):
    from django.core.exceptions import PermissionDenied

    for user in (users.admin, users.observer, users.reporter):
        with pytest.raises(PermissionDenied):
            actions.import_roster(user, small_roster(), "名册.xlsx")
    assert not Unit.objects.filter(code="Q03").exists()


def test_export_then_import_round_trips(users, district):
    actions.import_roster(users.organiser, small_roster(), "名册.xlsx")
    actions.create_person(users.organiser, district.west, "陈委员", "宣传委员", "女", "123")
    before = snapshot()
    exported = roster.export_bytes()
    result = actions.import_roster(users.organiser, exported, "导出.xlsx")
    assert snapshot() == before
    assert result.units_created == result.units_updated == result.people_created == result.people_updated == 0
    assert result.units_unchanged == Unit.objects.count() and result.absent_count == 0


def test_export_into_an_empty_database_rebuilds_the_roster(users, district):
    actions.import_roster(users.organiser, small_roster(), "名册.xlsx")
    exported = roster.export_bytes()
    before = snapshot()
    from shuping.accounts.models import User

    User.objects.update(unit=None)
    Unit.objects.update(secretary=None)
    Person.objects.all().delete()
    while Unit.objects.exists():  # leaves first (PROTECT on parent)
        Unit.objects.filter(children__isnull=True).delete()
    actions.import_roster(users.organiser, exported, "导出.xlsx")
    assert snapshot() == before


def test_export_lists_parents_before_children_and_other_people_apart(users, district):
    wb = load_workbook(io.BytesIO(roster.export_bytes()))
    codes = [r[0] for r in wb["单位"].iter_rows(min_row=2, values_only=True)]
    assert codes[0] == "Q" and set(codes) == {"Q", "Q01", "Q02", "Q11"}
    assert [c.value for c in wb["单位"][1]][:3] == ["单位代码", "单位名称", "简称"]
    assert list(wb["人员"].iter_rows(min_row=2, values_only=True)) == []  # everyone is a secretary here


def test_the_template_has_help_dropdowns_and_an_example_that_imports(users, district):
    data = roster.template_bytes()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["单位", "人员", "说明"]
    help_text = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "党工委" in help_text and "离退休" in help_text
    formulas = [dv.formula1 for dv in wb["单位"].data_validations.dataValidation]
    assert any("党工委" in f for f in formulas) and any("离退休" in f for f in formulas)
    result = actions.import_roster(users.organiser, data, "模板.xlsx")
    assert result.units_created == 1 and Unit.objects.get(code="EX01").secretary.name == "张三"
    assert Person.objects.filter(name="李四", unit__code="EX01").exists()


def test_import_roster_command(users, district, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(small_roster())
    out = io.StringIO()
    call_command("import_roster", str(path), user="organiser", stdout=out)
    assert "单位：新增 2、更新 0、未变 1" in out.getvalue()


def test_import_roster_command_lists_problems_and_fails(users, district, tmp_path):
    path = tmp_path / "坏.xlsx"
    path.write_bytes(xlsx([unit_row("Q03", parent="ZZ")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command("import_roster", str(path), user="organiser", stderr=err)
    assert "上级单位代码“ZZ”" in err.getvalue()
    with pytest.raises(CommandError, match="权限"):
        call_command("import_roster", str(path), user="observer")


def test_export_roster_command(users, district, tmp_path):
    path = tmp_path / "out.xlsx"
    call_command("export_roster", str(path), stdout=io.StringIO())
    assert load_workbook(path)["单位"]["A2"].value == "Q"
    call_command("export_roster", str(tmp_path / "t.xlsx"), "--template", stdout=io.StringIO())
    assert load_workbook(tmp_path / "t.xlsx").sheetnames == ["单位", "人员", "说明"]
