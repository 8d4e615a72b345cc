"""Export jobs: registry, request → queued → running → done/failed, progress, audit, scope, retry."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from openpyxl import load_workbook

from shuping.accounts.models import Role, User, UserRole
from shuping.audit.models import AuditEvent
from shuping.exports import actions, registry
from shuping.exports.models import ExportJob, JobState
from shuping.exports.tasks import run_export
from shuping.exports.tests.helpers import media, publish, read, run  # noqa: F401  (fixtures)
from shuping.results.tests import conftest as results_fixtures

judges = results_fixtures.judges
scored = results_fixtures.scored

pytestmark = pytest.mark.usefixtures("media")


def test_registry_lists_the_exports():
    keys = [e.key for e in registry.all_exporters()]
    for key in ("results_xlsx", "announcement_docx", "feedback_docx", "ledger_xlsx", "ballots_xlsx"):
        assert key in keys
    e = registry.get("results_xlsx")
    assert e is not None and e.extension == "xlsx" and e.label.startswith("考核结果")
    assert registry.get("nope") is None


def test_register_needs_key_label_and_extension():
    class Broken(registry.Exporter):
        key = "broken"

    with pytest.raises(ValueError):
        registry.register(Broken)


def test_job_lifecycle_done(users, scored, django_capture_on_commit_callbacks):
    publish(users, scored)
    with django_capture_on_commit_callbacks() as callbacks:
        job = actions.request_export(users.organiser, "results_xlsx", scored.campaign)
    assert job.state == JobState.QUEUED and job.unit_id is None and len(callbacks) == 1
    callbacks[0]()  # what the worker does once the request's transaction has committed
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.progress == 100 and job.error == ""
    assert job.filename.endswith(".xlsx") and "考核结果" in job.filename
    data = read(job)
    assert job.size == len(data) and load_workbook(io.BytesIO(data)).sheetnames[0] == "考核结果"
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    kinds = list(AuditEvent.objects.filter(action__startswith="exports.").values_list("action", flat=True))
    assert kinds == ["exports.request", "exports.done"]
    done = AuditEvent.objects.get(action="exports.done")
    assert done.data["size"] == len(data) and len(done.data["sha256"]) == 64


def test_a_job_runs_once(users, scored, django_capture_on_commit_callbacks):
    publish(users, scored)
    job = run(django_capture_on_commit_callbacks, users.organiser, "results_xlsx", scored.campaign)
    run_export.call(job.pk)  # delivered twice: left alone
    assert AuditEvent.objects.filter(action="exports.done").count() == 1


def test_the_same_pending_request_is_not_queued_twice(users, scored, django_capture_on_commit_callbacks):
    publish(users, scored)
    with django_capture_on_commit_callbacks():
        a = actions.request_export(users.organiser, "results_xlsx", scored.campaign)
        b = actions.request_export(users.organiser, "results_xlsx", scored.campaign)
    assert a.pk == b.pk and ExportJob.objects.count() == 1


def test_progress_is_reported_while_running(users, scored, django_capture_on_commit_callbacks, monkeypatch):
    publish(users, scored)
    seen = []
    e = registry.get("results_xlsx")
    original = e.build  # type: ignore[union-attr]

    def build(job, progress):
        def spy(percent, message):
            progress(percent, message)
            row = ExportJob.objects.get(pk=job.pk)
            seen.append((row.state, row.progress, row.message))
        return original(job, spy)

    monkeypatch.setattr(e, "build", build)
    run(django_capture_on_commit_callbacks, users.organiser, "results_xlsx", scored.campaign)
    assert seen and all(state == JobState.RUNNING for state, _, _ in seen)
    assert [p for _, p, _ in seen] == sorted(p for _, p, _ in seen) and ("running", 30, "现场评分") in seen


def test_a_failure_is_recorded_in_chinese_and_can_be_retried(users, scored, django_capture_on_commit_callbacks,
                                                              monkeypatch):
    publish(users, scored)
    e = registry.get("results_xlsx")

    def boom(job, progress):
        raise RuntimeError("disk full")

    monkeypatch.setattr(e, "build", boom)
    job = run(django_capture_on_commit_callbacks, users.organiser, "results_xlsx", scored.campaign)
    assert job.state == JobState.FAILED and "生成文件时出错" in job.error and not job.file
    assert AuditEvent.objects.filter(action="exports.failed").exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        again = actions.retry_export(users.organiser, job)
    again.refresh_from_db()
    assert again.pk != job.pk and again.state == JobState.DONE
    with pytest.raises(ValidationError):
        actions.retry_export(users.organiser, again)  # only failed jobs


def test_roles_lost_before_the_run_fail_the_job(users, scored, django_capture_on_commit_callbacks):
    publish(users, scored)
    with django_capture_on_commit_callbacks() as callbacks:
        job = actions.request_export(users.observer, "results_xlsx", scored.campaign)
    UserRole.objects.filter(user=users.observer).delete()
    callbacks[0]()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "权限" in job.error


def test_who_may_request(users, scored, django_capture_on_commit_callbacks):
    publish(users, scored)
    for user in (users.judge, users.teller, users.nobody, users.admin):
        with pytest.raises(PermissionDenied):
            actions.request_export(user, "results_xlsx", scored.campaign)
    with pytest.raises(PermissionDenied):
        actions.request_export(users.reporter, "announcement_docx", scored.campaign)  # campaign-wide only
    with pytest.raises(PermissionDenied):
        actions.request_export(users.chair, "ballots_xlsx", scored.campaign)
    with pytest.raises(ValidationError):
        actions.request_export(users.organiser, "nope", scored.campaign)
    with pytest.raises(ValidationError):
        actions.request_export(users.organiser, "results_xlsx", None)
    job = run(django_capture_on_commit_callbacks, users.reporter, "results_xlsx", scored.campaign)
    assert job.unit_id == users.reporter.unit_id and job.state == JobState.DONE
    job = run(django_capture_on_commit_callbacks, users.chair, "results_xlsx", scored.campaign)
    assert job.unit_id is None


def test_not_ready_is_refused_before_queueing(users, scored):
    with pytest.raises(ValidationError, match="尚未统分"):
        actions.request_export(users.organiser, "results_xlsx", scored.campaign)
    from shuping.results import actions as results

    results.compute_results(users.organiser, scored.campaign)
    actions.request_export(users.organiser, "results_xlsx", scored.campaign)  # organisers: computed is enough
    with pytest.raises(ValidationError, match="尚未公布"):
        actions.request_export(users.reporter, "results_xlsx", scored.campaign)
    with pytest.raises(ValidationError, match="尚未公布"):
        actions.request_export(users.organiser, "announcement_docx", scored.campaign)
    assert ExportJob.objects.count() == 1


def test_jobs_are_private_to_their_requester(users, scored, django_capture_on_commit_callbacks):
    publish(users, scored)
    job = run(django_capture_on_commit_callbacks, users.organiser, "results_xlsx", scored.campaign)
    assert actions.get_job(users.organiser, job.pk) == job
    for other in (users.observer, users.reporter):
        with pytest.raises(Http404):
            actions.get_job(other, job.pk)
        with pytest.raises(Http404):
            actions.open_file(other, job.pk)
    assert list(actions.jobs_of(users.observer)) == []


def test_a_file_is_not_served_once_the_requester_lost_the_rights(users, scored,
                                                                   django_capture_on_commit_callbacks):
    publish(users, scored)
    job = run(django_capture_on_commit_callbacks, users.observer, "results_xlsx", scored.campaign)
    _, fh = actions.open_file(users.observer, job.pk)
    fh.close()
    UserRole.objects.filter(user=users.observer).update(role=Role.JUDGE)
    with pytest.raises(PermissionDenied):
        actions.open_file(User.objects.get(pk=users.observer.pk), job.pk)  # a fresh request's user


def test_ledger_and_ballot_exports_run_as_jobs(users, scored, django_capture_on_commit_callbacks):
    from shuping.rectification.models import LedgerEntry, Source

    for unit in (scored.east.unit, scored.west.unit):
        LedgerEntry.objects.create(campaign=scored.campaign, unit=unit, problem=f"{unit.name}的问题",
                                   category="members", source=Source.SELF_REVIEW)
    job = run(django_capture_on_commit_callbacks, users.organiser, "ledger_xlsx", None)
    assert job.state == JobState.DONE, job.error
    ws = load_workbook(io.BytesIO(read(job)))["问题清单"]
    problems = [r[5] for r in ws.iter_rows(min_row=2, values_only=True) if r[5]]
    assert problems == ["东城街道党工委的问题", "西城街道党工委的问题"]
    mine = run(django_capture_on_commit_callbacks, users.owner, "ledger_xlsx", scored.campaign)
    assert mine.unit_id == users.owner.unit_id and mine.state == JobState.DONE
    ws = load_workbook(io.BytesIO(read(mine)))["问题清单"]
    assert [r[5] for r in ws.iter_rows(min_row=2, values_only=True) if r[5]] == ["东城街道党工委的问题"]
    ballots = run(django_capture_on_commit_callbacks, users.observer, "ballots_xlsx", scored.campaign)
    assert ballots.state == JobState.DONE, ballots.error
    wb = load_workbook(io.BytesIO(read(ballots)))
    assert wb.sheetnames == ["选票", "回执码", "意见建议"] and wb["选票"].max_row == 21
