"""述职报告 actions: opening with last year's open problems, autosave and conflicts, versions and restore,
sign-off, submission rules (unanswered item, unsigned, late, meeting started), review, reminders, progress."""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from shuping.audit.log import verify
from shuping.audit.models import AuditEvent
from shuping.campaigns import actions as campaign_actions
from shuping.rectification.models import EntryState, LedgerEntry, Source
from shuping.reports import actions
from shuping.reports.models import PriorAnswer, Report, ReportReview, ReportState, ReportVersion, ReviewAction
from shuping.reports.tests import docx_samples
from shuping.reports.tests.conftest import TEXT


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def ready(report: Report, fill, users) -> Report:
    fill(report)
    return actions.sign(users.reporter, report, "钱东明")


# ---------------------------------------------------------------- opening


def test_opening_creates_a_draft_with_one_item_per_open_entry_of_earlier_years(users, east, prior):
    report = actions.open_report(users.reporter, east)
    assert report.state == ReportState.DRAFT
    items = actions.prior_items(report)
    assert [i.entry.problem for i in items] == ["社区党组织书记培训覆盖面不足", "党群服务中心使用率不高"]
    assert all(i.required and i.answer.answer == "" for i in items)
    assert len(events("report.create")) == 1
    # Opening again neither duplicates the report nor its items.
    assert actions.open_report(users.reporter, east).pk == report.pk
    assert PriorAnswer.objects.filter(report=report).count() == 2
    assert len(events("report.create")) == 1


def test_an_entry_opened_later_appears_and_a_closed_one_is_no_longer_required(users, east, prior, district):
    report = actions.open_report(users.reporter, east)
    LedgerEntry.objects.create(campaign=prior.campaign, unit=district.east, problem="发展党员工作不规范",
                               category="workforce", source=Source.SELF_REVIEW)
    LedgerEntry.objects.filter(pk=prior.east2.pk).update(state=EntryState.CLOSED)
    report = actions.open_report(users.reporter, east)
    items = {i.entry.problem: i.required for i in actions.prior_items(report)}
    assert items == {"社区党组织书记培训覆盖面不足": True, "党群服务中心使用率不高": False, "发展党员工作不规范": True}


def test_only_the_units_reporter_opens_its_report(users, east, prior):
    with pytest.raises(Http404):
        actions.open_report(users.other_reporter, east)
    with pytest.raises(PermissionDenied):
        actions.open_report(users.organiser, east)
    with pytest.raises(Http404):
        actions.own_participant(users.reporter, prior.campaign)  # 东城 was not a participant last year


def test_who_reads_a_report(users, report):
    for who in (users.reporter, users.organiser, users.observer, users.chair):
        assert actions.get_report(who, report.pk).pk == report.pk
    with pytest.raises(Http404):
        actions.get_report(users.other_reporter, report.pk)
    for who in (users.nobody, users.judge, users.teller, users.admin, users.owner):
        with pytest.raises(PermissionDenied):
            actions.get_report(who, report.pk)


# ---------------------------------------------------------------- autosave


def test_saving_bumps_the_revision_and_a_stale_save_is_refused_with_the_current_text(users, report):
    r = actions.save_draft(users.reporter, report, revision=0, sections={"performance": "第一稿"})
    assert r.revision == 1 and r.sections["performance"] == "第一稿"
    # Another tab still holds revision 0.
    with pytest.raises(actions.StaleRevision) as e:
        actions.save_draft(users.reporter, report, revision=0, sections={"performance": "旧窗口的文字"})
    assert e.value.report.revision == 1 and e.value.report.sections["performance"] == "第一稿"
    report.refresh_from_db()
    assert report.sections["performance"] == "第一稿"
    # Nothing changed: no new revision.
    assert actions.save_draft(users.reporter, report, revision=1, sections={"performance": "第一稿"}).revision == 1


def test_saving_answers_and_refusing_bad_input(users, report, prior):
    r = actions.save_draft(users.reporter, report, revision=0, answers={str(prior.east1.pk): "已完成轮训"})
    assert PriorAnswer.objects.get(report=r, entry=prior.east1).answer == "已完成轮训"
    with pytest.raises(ValidationError, match="不在本报告的整改事项中"):
        actions.save_draft(users.reporter, report, revision=1, answers={str(prior.west.pk): "别的单位"})
    with pytest.raises(ValidationError, match="未知的报告部分"):
        actions.save_draft(users.reporter, report, revision=1, sections={"summary": "x"})
    with pytest.raises(ValidationError, match="超过"):
        actions.save_draft(users.reporter, report, revision=1, sections={"plans": "字" * (actions.MAX_SECTION_CHARS + 1)})


def test_only_the_units_reporter_saves(users, report):
    with pytest.raises(PermissionDenied):
        actions.save_draft(users.organiser, report, revision=0, sections={"plans": "x"})
    with pytest.raises(Http404):
        actions.save_draft(users.other_reporter, report, revision=0, sections={"plans": "x"})
    with pytest.raises(PermissionDenied):
        actions.save_draft(users.nobody, report, revision=0, sections={"plans": "x"})


def test_autosave_keeps_a_version_at_most_once_a_minute(users, report):
    actions.save_draft(users.reporter, report, revision=0, sections={"performance": "一"})
    actions.save_draft(users.reporter, report, revision=1, sections={"performance": "一二"})
    assert list(report.versions.values_list("number", "note")) == [(1, "自动保存")]
    ReportVersion.objects.filter(report=report).update(saved_at=timezone.now() - timedelta(seconds=61))
    actions.save_draft(users.reporter, report, revision=2, sections={"performance": "一二三"})
    assert [(v.number, v.sections["performance"]) for v in report.versions.all()] == [(2, "一二三"), (1, "一")]
    assert [e.data["version"] for e in events("report.save")] == [1, 2]


def test_restoring_an_old_version_keeps_the_current_text_as_a_version(users, report, prior):
    actions.save_draft(users.reporter, report, revision=0, sections={"performance": "旧稿"},
                       answers={str(prior.east1.pk): "旧答复"})
    actions.save_draft(users.reporter, report, revision=1, sections={"performance": "新稿"},
                       answers={str(prior.east1.pk): "新答复"})  # within the minute: no version of its own
    r = actions.restore_version(users.reporter, report, 1)
    assert r.sections["performance"] == "旧稿" and r.revision == 3
    assert PriorAnswer.objects.get(report=r, entry=prior.east1).answer == "旧答复"
    notes = [(v.number, v.note, v.sections["performance"]) for v in r.versions.all()]
    assert notes == [(3, "恢复第 1 版", "旧稿"), (2, "恢复前的内容", "新稿"), (1, "自动保存", "旧稿")]
    assert events("report.restore")[0].data["from_version"] == 1
    with pytest.raises(Http404):
        actions.restore_version(users.reporter, report, 99)
    with pytest.raises(Http404):
        actions.restore_version(users.other_reporter, report, 1)


# ---------------------------------------------------------------- sign-off and submission


def test_signing_and_editing_after_it_clears_the_signature(users, report, fill):
    fill(report)
    with pytest.raises(ValidationError, match="签字人姓名"):
        actions.sign(users.reporter, report, "  ")
    r = actions.sign(users.reporter, report, "钱东明")
    assert r.signed_by_name == "钱东明" and r.signed_at is not None
    assert events("report.sign")[0].data["name"] == "钱东明"
    r = actions.save_draft(users.reporter, r, revision=r.revision, sections={"plans": "改了一句"})
    assert r.signed_at is None and r.signed_by_name == ""
    assert events("report.unsign")[0].data["was_signed_by"] == "钱东明"
    with pytest.raises(PermissionDenied):
        actions.sign(users.organiser, r, "组织部")


def test_submission_needs_every_prior_item_answered_and_lists_the_missing(users, report, fill, prior):
    fill(report, answer=False)
    r = actions.save_draft(users.reporter, report, revision=1, answers={str(prior.east1.pk): "已完成"})
    actions.sign(users.reporter, r, "钱东明")
    with pytest.raises(ValidationError) as e:
        actions.submit(users.reporter, r)
    msg = "；".join(e.value.messages)
    assert "还有 1 项上年度问题未填写整改情况" in msg and "党群服务中心使用率不高" in msg
    assert "社区党组织书记培训覆盖面不足" not in msg
    assert Report.objects.get(pk=r.pk).state == ReportState.DRAFT


def test_submission_needs_the_signature_and_some_text(users, report, fill):
    with pytest.raises(ValidationError) as e:
        actions.submit(users.reporter, report)
    assert "报告内容为空，请先填写" in e.value.messages and "报告尚未经书记确认签字" in e.value.messages
    fill(report)
    with pytest.raises(ValidationError, match="尚未经书记确认签字"):
        actions.submit(users.reporter, report)


def test_a_signed_complete_report_is_submitted_on_time(users, report, fill):
    ready(report, fill, users)
    r = actions.submit(users.reporter, report)
    assert r.state == ReportState.SUBMITTED and not r.late and r.submitted_at
    assert r.versions.first().note == "提交"
    ev = events("report.submit")[0]
    assert ev.data["late"] is False and ev.data["signed_by"] == "钱东明"
    with pytest.raises(ValidationError, match="不能修改"):
        actions.save_draft(users.reporter, r, revision=r.revision, sections={"plans": "x"})
    with pytest.raises(ValidationError, match="不能再次提交"):
        actions.submit(users.reporter, r)
    assert verify().ok


def test_a_submission_after_the_deadline_is_marked_late_not_refused(users, report, fill, campaign):
    campaign.report_deadline = timezone.localdate() - datetime.timedelta(days=1)
    campaign.save()
    ready(report, fill, users)
    r = actions.submit(users.reporter, report)
    assert r.state == ReportState.SUBMITTED and r.late
    assert "逾期提交" in events("report.submit")[0].summary


def test_submission_is_refused_once_the_meeting_has_started(users, report, fill, campaign):
    ready(report, fill, users)
    campaign_actions.transition(users.organiser, campaign, "meeting")
    with pytest.raises(ValidationError, match="述职评议会已开始"):
        actions.submit(users.reporter, report)
    with pytest.raises(ValidationError, match="述职评议会已开始"):
        actions.save_draft(users.reporter, report, revision=report.revision, sections={"plans": "x"})


# ---------------------------------------------------------------- review


def test_return_needs_a_comment_and_the_reporter_edits_and_resubmits(users, report, fill):
    ready(report, fill, users)
    actions.submit(users.reporter, report)
    with pytest.raises(ValidationError, match="须填写意见"):
        actions.return_report(users.organiser, report, "  ")
    with pytest.raises(PermissionDenied):
        actions.return_report(users.reporter, report, "自己退回")
    with pytest.raises(PermissionDenied):
        actions.return_report(users.observer, report, "观察员退回")
    r = actions.return_report(users.organiser, report, "存在问题部分过于笼统，请具体到事例")
    assert r.state == ReportState.RETURNED
    review = ReportReview.objects.get(report=r)
    assert review.action == ReviewAction.RETURN and review.comment.startswith("存在问题部分")
    assert events("report.return")[0].data["comment"] == "存在问题部分过于笼统，请具体到事例"
    r = actions.save_draft(users.reporter, r, revision=r.revision, sections={"problems": "具体问题……"})
    assert r.signed_at is None  # edited after sign-off
    actions.sign(users.reporter, r, "钱东明")
    r = actions.submit(users.reporter, r)
    r = actions.return_report(users.organiser, r, "再改")
    with pytest.raises(ValidationError, match="只有已提交的报告可以审核通过"):
        actions.approve(users.organiser, r)
    with pytest.raises(ValidationError, match="只有已提交的报告可以退回"):
        actions.return_report(users.organiser, r, "又退")
    r = actions.submit(users.reporter, actions.sign(users.reporter, r, "钱东明"))
    r = actions.approve(users.organiser, r)
    assert r.state == ReportState.APPROVED and r.approved_by == users.organiser
    assert len(events("report.approve")) == 1


def test_reminders_go_to_the_missing_ones_only(users, campaign, report, fill, district):
    ready(report, fill, users)
    with pytest.raises(PermissionDenied):
        actions.remind(users.reporter, campaign)
    assert actions.remind(users.organiser, campaign) == 3
    actions.submit(users.reporter, report)
    assert actions.remind(users.organiser, campaign, comment="请于本周五前提交") == 2
    west = Report.objects.get(participant__unit=district.west)
    assert [r.comment for r in west.reviews.filter(action=ReviewAction.REMIND)] == ["请于本周五前提交", "请尽快完成述职报告并提交"]
    assert len(events("report.remind")) == 5
    chosen = campaign.participants.get(unit=district.edu).pk
    assert actions.remind(users.organiser, campaign, [chosen]) == 1
    with pytest.raises(ValidationError, match="没有需要催报"):
        actions.remind(users.organiser, campaign, [report.participant_id])


def test_progress_counts_each_state_and_overdue_after_the_deadline(users, campaign, report, fill, district):
    rows, counts = actions.progress(users.organiser, campaign)
    assert {r.participant.unit.code: r.status for r in rows} == {"Q01": "missing", "Q02": "missing", "Q11": "missing"}
    ready(report, fill, users)
    actions.submit(users.reporter, report)
    campaign.report_deadline = timezone.localdate() - datetime.timedelta(days=1)
    campaign.save()
    rows, counts = actions.progress(users.observer, campaign)
    assert {r.participant.unit.code: r.status_label for r in rows} == {"Q01": "已提交", "Q02": "逾期", "Q11": "逾期"}
    assert counts == {"missing": 0, "submitted": 1, "returned": 0, "approved": 0, "overdue": 2}
    with pytest.raises(PermissionDenied):
        actions.progress(users.reporter, campaign)


# ---------------------------------------------------------------- Word import


def test_import_replaces_the_sections_after_keeping_the_old_text(users, report, fill, prior):
    r = ready(report, fill, users)
    data = docx_samples.build(docx_samples.standard())
    r, warnings = actions.import_docx(users.reporter, r, data, "述职报告.docx")
    assert any("未归类" in w for w in warnings)  # the title lines
    assert r.sections["performance"].startswith(docx_samples.PERFORMANCE[:10])
    assert docx_samples.PLANS[:10] in r.sections["plans"]
    assert "钱东明" in r.sections["unclassified"]  # the title and name line are kept, visibly
    assert r.signed_at is None and r.source_file == "述职报告.docx"
    assert PriorAnswer.objects.get(report=r, entry=prior.east1).answer.startswith("已整改")  # answers stay
    notes = [(v.note, v.sections["performance"][:4]) for v in r.versions.all()]
    # The filled text was already kept by the autosave: no duplicate "导入前的内容" version.
    assert notes[0][0] == "导入 Word" and notes[1] == ("自动保存", TEXT["performance"][:4])
    assert events("report.import")[0].data["file"] == "述职报告.docx"


def test_unversioned_text_is_kept_before_import_and_a_bad_file_changes_nothing(users, report, fill):
    r = fill(report)
    r = actions.save_draft(users.reporter, r, revision=r.revision, sections={"plans": "未存版本的修改"})
    r, _ = actions.import_docx(users.reporter, r, docx_samples.build(docx_samples.standard()), "第二稿.docx")
    assert [v.note for v in r.versions.all()][:2] == ["导入 Word", "导入前的内容"]
    assert r.versions.get(note="导入前的内容").sections["plans"] == "未存版本的修改"
    r = actions.save_draft(users.reporter, r, revision=r.revision, sections=dict(TEXT))
    with pytest.raises(ValidationError):
        actions.import_docx(users.reporter, r, b"not a word file at all", "报告.docx")
    r.refresh_from_db()
    assert r.sections["performance"] == TEXT["performance"] and r.source_file == "第二稿.docx"
    assert len(events("report.import")) == 1
    with pytest.raises(Http404):
        actions.import_docx(users.other_reporter, r, docx_samples.build(docx_samples.standard()), "x.docx")
