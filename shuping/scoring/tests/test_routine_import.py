"""日常考核 import through the database: all or nothing, replaces, audited, locked with the results."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from shuping.audit.models import AuditEvent
from shuping.campaigns import actions as campaign_actions
from shuping.results.models import ResultSheet, SheetState
from shuping.scoring import actions_routine, routine
from shuping.scoring.models import RoutineScore
from shuping.scoring.routine import RoutineRejected
from shuping.scoring.tests.routine_workbooks import published_campaign, row, with_member, xlsx

LOCKED = "考核结果已提交审核/公布，日常考核得分已锁定"


@pytest.fixture
def campaign(users, district):
    return published_campaign(users, district)


def scores(c) -> dict[str, tuple[Decimal, str, str]]:
    return {s.participant.unit.code: (s.score, s.source, s.imported_by.username)
            for s in RoutineScore.objects.filter(participant__campaign=c).select_related("participant__unit", "imported_by")}


def full_file() -> bytes:
    return xlsx([row("Q01", 87.3, "东城街道党工委", "钱东明"), row("Q02", 90), row("Q11", 78.25)])


def test_it_imports_every_score_with_its_source(users, campaign):
    result = actions_routine.import_routine(users.organiser, campaign, full_file(), "2025日常考核.xlsx")
    assert scores(campaign) == {
        "Q01": (Decimal("87.30"), "2025日常考核.xlsx 日常考核 第 2 行", "organiser"),
        "Q02": (Decimal("90.00"), "2025日常考核.xlsx 日常考核 第 3 行", "organiser"),
        "Q11": (Decimal("78.25"), "2025日常考核.xlsx 日常考核 第 4 行", "organiser"),
    }
    assert len(result.scores) == 3 and result.changed == 3 and result.without_score == []
    assert result.summary() == "3 个述职对象有得分（其中新增或改变 3 个）"


def test_the_import_is_audited_once_with_count_file_and_values(users, campaign):
    n = AuditEvent.objects.count()
    actions_routine.import_routine(users.organiser, campaign, full_file(), "2025日常考核.xlsx")
    assert AuditEvent.objects.count() == n + 1
    ev = AuditEvent.objects.order_by("-seq").first()
    assert ev.action == "routine.import" and ev.actor == "organiser"
    assert (ev.object_type, ev.object_id) == ("campaigns.campaign", str(campaign.pk))
    assert "2025日常考核.xlsx" in ev.summary and "3 个述职对象有得分" in ev.summary
    assert ev.data["count"] == 3 and ev.data["file"] == "2025日常考核.xlsx"
    assert ev.data["scores"] == {"Q01": "87.30", "Q02": "90.00", "Q11": "78.25"}


def test_participants_missing_from_the_file_get_no_score_and_are_named(users, campaign):
    result = actions_routine.import_routine(users.organiser, campaign, xlsx([row("Q01", 85)]), "部分.xlsx")
    assert set(scores(campaign)) == {"Q01"}
    assert [(u.code, u.unit, u.previous) for u in result.without_score] == [
        ("Q02", "西城街道党工委", None), ("Q11", "区教育局党委", None)]
    assert "2 个未列入文件，没有日常考核得分" in result.summary()


def test_a_reimport_replaces_all_scores_of_the_campaign(users, campaign):
    actions_routine.import_routine(users.organiser, campaign, full_file(), "第一次.xlsx")
    result = actions_routine.import_routine(users.organiser, campaign, xlsx([row("Q02", 91), row("Q01", 87.3)]),
                                            "第二次.xlsx")
    assert scores(campaign) == {
        "Q02": (Decimal("91.00"), "第二次.xlsx 日常考核 第 2 行", "organiser"),
        "Q01": (Decimal("87.30"), "第二次.xlsx 日常考核 第 3 行", "organiser"),
    }
    assert [(s.code, s.previous, s.score, s.changed) for s in result.scores] == [
        ("Q02", Decimal("90.00"), Decimal("91.00"), True), ("Q01", Decimal("87.30"), Decimal("87.30"), False)]
    assert [(u.code, u.previous) for u in result.without_score] == [("Q11", Decimal("78.25"))]
    assert "（其中 1 个原有得分已清除）" in result.summary()
    assert AuditEvent.objects.order_by("-seq").first().data["removed"] == {"Q11": "78.25"}


def test_another_campaigns_scores_are_not_touched(users, campaign, district):
    from datetime import date

    other = campaign_actions.create_campaign(users.organiser, year=2024, title="2024年度述职评议",
                                             committee=district.root, meeting_date=date(2025, 1, 20))
    campaign_actions.add_participant(users.organiser, other, district.east)
    other = campaign_actions.transition(users.organiser, other, "published")
    actions_routine.import_routine(users.organiser, other, xlsx([row("Q01", 60)]), "2024.xlsx")
    actions_routine.import_routine(users.organiser, campaign, full_file(), "2025.xlsx")
    assert scores(other) == {"Q01": (Decimal("60.00"), "2024.xlsx 日常考核 第 2 行", "organiser")}


BAD_ROW_10 = [row(c, 80) for c in ("Q01", "Q02")] + [[None] * 4] * 6 + [row("Q11", "八十")]  # data rows 2, 3 and 10


@pytest.mark.parametrize(("data", "filename", "expected"), [
    (b"a,b", "scores.csv", "文件“scores.csv”：不是 .xlsx 文件"),
    (b"garbage", "坏.xlsx", "文件“坏.xlsx”：文件已损坏或不是有效的 .xlsx 工作簿"),
    (full_file() + b"\x00" * (5 * 1024 * 1024), "大.xlsx", "文件“大.xlsx”：文件过大（超过 5 MB）"),
    (full_file(), "宏.xlsm", "文件“宏.xlsm”：不接受启用宏的工作簿"),
    (with_member(full_file(), "xl/vbaProject.bin", b"\x00"), "宏.xlsx", "文件“宏.xlsx”：不接受启用宏的工作簿"),
    (xlsx([row("Q01", 80)], sheet="Sheet1"), "坏.xlsx", "文件“坏.xlsx” 工作表“日常考核”：缺少工作表“日常考核”"),
    (xlsx([["Q01", "", "", 80]], headers=["单位代码", "单位名称", "述职人", "得分"]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 1 行 “日常考核得分”列：缺少表头列"),
    (xlsx([row("Q01", 80), row("Q99", 80)]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “单位代码”列：单位代码“Q99”在系统中不存在"),
    (xlsx([row("Q01", 80), row("Q", 80)]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “单位代码”列：单位“示例区委”（Q）不是本考核方案的述职对象"),
    (xlsx([row("Q01", 80), row("Q01", 81)]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “单位代码”列：单位代码“Q01”重复（第 2 行已有）"),
    (xlsx([row("Q01", 80), row("Q02", None)]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：日常考核得分为空"),
    (xlsx([row("Q01", 80), row("Q02", "良好")]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：“良好”不是数字"),
    (xlsx([row("Q01", 80), row("Q02", 100.5)]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：得分 100.5 超出 0–100 的范围"),
    (xlsx([row("Q01", 80), row("Q02", -1)]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：得分 -1 超出 0–100 的范围"),
    (xlsx([row("Q01", 80), row("Q02", 88.125)]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：得分 88.125 超过 2 位小数"),
    (xlsx([row("Q01", 80), row("Q02", "=80+5")]), "坏.xlsx",
     "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：单元格是公式但没有计算结果"),
    (xlsx(BAD_ROW_10), "坏.xlsx", "文件“坏.xlsx” 工作表“日常考核” 第 10 行 “日常考核得分”列：“八十”不是数字"),
])
def test_a_bad_file_is_refused_and_keeps_nothing(users, campaign, data, filename, expected):
    actions_routine.import_routine(users.organiser, campaign, xlsx([row("Q01", 60), row("Q02", 61)]), "旧.xlsx")
    before, events = scores(campaign), AuditEvent.objects.count()
    with pytest.raises(RoutineRejected) as exc:
        actions_routine.import_routine(users.organiser, campaign, data, filename)
    assert any(m.startswith(expected) for m in exc.value.messages), exc.value.messages
    assert scores(campaign) == before and AuditEvent.objects.count() == events


def test_a_refusal_is_a_validation_error_listing_every_problem(users, campaign):
    with pytest.raises(ValidationError) as exc:
        actions_routine.import_routine(users.organiser, campaign, xlsx([row("Q01", "x"), row("Q02", 101)]), "坏.xlsx")
    assert len(exc.value.messages) == 2


def test_a_file_bad_only_in_its_tenth_row_keeps_nothing_even_the_good_rows(users, campaign):
    with pytest.raises(RoutineRejected):
        actions_routine.import_routine(users.organiser, campaign, xlsx(BAD_ROW_10), "坏.xlsx")
    assert scores(campaign) == {}


def make_sheet(users, campaign, state):
    return ResultSheet.objects.create(campaign=campaign, state=state, input_digest="0" * 64, computed_at=timezone.now(),
                                      computed_by=users.organiser)


@pytest.mark.parametrize("state", [SheetState.SUBMITTED, SheetState.REVIEWED, SheetState.SIGNED, SheetState.PUBLISHED])
def test_scores_are_locked_once_the_results_are_submitted(users, campaign, state):
    actions_routine.import_routine(users.organiser, campaign, xlsx([row("Q01", 60)]), "旧.xlsx")
    make_sheet(users, campaign, state)
    campaign.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        actions_routine.import_routine(users.organiser, campaign, full_file(), "新.xlsx")
    assert exc.value.messages == [LOCKED]
    assert set(scores(campaign)) == {"Q01"}


def test_a_computed_but_unsubmitted_result_does_not_lock(users, campaign):
    make_sheet(users, campaign, SheetState.COMPUTED)
    actions_routine.import_routine(users.organiser, campaign, full_file(), "新.xlsx")
    assert len(scores(campaign)) == 3


def test_draft_and_archived_campaigns_refuse(users, campaign, district):
    from datetime import date

    draft = campaign_actions.create_campaign(users.organiser, year=2026, title="2026年度述职评议",
                                             committee=district.root, meeting_date=date(2027, 1, 20))
    campaign_actions.add_participant(users.organiser, draft, district.east)
    with pytest.raises(ValidationError) as exc:
        actions_routine.import_routine(users.organiser, draft, xlsx([row("Q01", 80)]), "a.xlsx")
    assert exc.value.messages == ["考核方案处于“草拟”状态，发布后才能导入日常考核得分"]

    for to in ("meeting", "tallying", "review", "announced", "archived"):
        campaign = campaign_actions.transition(users.organiser, campaign, to)
    with pytest.raises(ValidationError) as exc:
        actions_routine.import_routine(users.organiser, campaign, full_file(), "a.xlsx")
    assert exc.value.messages == ["考核方案已归档，日常考核得分不能再修改"]
    assert RoutineScore.objects.count() == 0


def test_every_state_between_published_and_announced_accepts(users, campaign):
    for to in ("meeting", "tallying", "review", "announced"):
        campaign = campaign_actions.transition(users.organiser, campaign, to)
        actions_routine.import_routine(users.organiser, campaign, full_file(), f"{to}.xlsx")
    assert scores(campaign)["Q01"][1] == "announced.xlsx 日常考核 第 2 行"


def test_only_organisers_import(users, campaign):
    for user in (users.admin, users.observer, users.chair, users.judge, users.teller, users.reporter, users.nobody):
        with pytest.raises(PermissionDenied):
            actions_routine.import_routine(user, campaign, full_file(), "a.xlsx")
        with pytest.raises(PermissionDenied):
            actions_routine.template(user, campaign)
    assert RoutineScore.objects.count() == 0


def test_a_long_file_name_still_fits_the_source(users, campaign):
    name = "很长的文件名" * 60 + ".xlsx"
    actions_routine.import_routine(users.organiser, campaign, full_file(), name)
    source = scores(campaign)["Q01"][1]
    assert len(source) <= 300 and source.endswith(" 日常考核 第 2 行")


def test_the_template_lists_the_participants_with_headers_notes_and_current_scores(users, campaign):
    actions_routine.import_routine(users.organiser, campaign, xlsx([row("Q02", 88.5)]), "a.xlsx")
    wb = load_workbook(io.BytesIO(actions_routine.template(users.organiser, campaign)))
    assert wb.sheetnames == ["日常考核", "说明"]
    ws = wb["日常考核"]
    assert [c.value for c in ws[1]] == ["单位代码", "单位名称", "述职人", "日常考核得分"]
    assert ws.freeze_panes == "A2"
    assert "0–100" in ws["D1"].comment.text and "2 位小数" in ws["D1"].comment.text
    assert list(ws.iter_rows(min_row=2, values_only=True)) == [
        ("Q01", "东城街道党工委", "钱东明", None), ("Q02", "西城街道党工委", "孙西华", 88.5),
        ("Q11", "区教育局党委", "李育才", None)]
    assert any(dv.type == "decimal" and dv.formula2 == "100" for dv in ws.data_validations.dataValidation)
    help_text = " ".join(str(c.value) for r in wb["说明"].iter_rows() for c in r if c.value)
    assert "一条也不导入" in help_text and "不计入" in help_text


def test_a_filled_in_template_imports_back(users, campaign):
    wb = load_workbook(io.BytesIO(routine.template_bytes(campaign)))
    for i, (cell,) in enumerate(wb["日常考核"].iter_rows(min_row=2, min_col=4, max_col=4)):
        cell.value = [92.5, 81, 77.75][i]
    out = io.BytesIO()
    wb.save(out)
    actions_routine.import_routine(users.organiser, campaign, out.getvalue(), "模板.xlsx")
    assert {k: v[0] for k, v in scores(campaign).items()} == {
        "Q01": Decimal("92.50"), "Q02": Decimal("81.00"), "Q11": Decimal("77.75")}
