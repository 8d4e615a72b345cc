"""Export job pages: who may open them, the buttons offered, request → job row → status JSON → download."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from shuping.exports.models import ExportJob, JobState
from shuping.exports.tests.helpers import media, publish  # noqa: F401  (fixtures)
from shuping.results.tests import conftest as results_fixtures

judges = results_fixtures.judges
scored = results_fixtures.scored
pytestmark = pytest.mark.usefixtures("media")

ALLOWED = ["organiser", "observer", "chair", "reporter", "owner", "other_reporter"]
REFUSED = ["judge", "teller", "admin", "nobody"]


def test_who_may_open_the_jobs_pages(users, scored, client_for):
    for name in ALLOWED:
        c = client_for(getattr(users, name))
        assert c.get("/exports/").status_code == 200, name
    for name in REFUSED:
        c = client_for(getattr(users, name))
        assert c.get("/exports/").status_code == 403, name
        assert c.get(f"/exports/campaign/{scored.campaign.pk}/").status_code == 403, name
        assert c.post("/exports/request/", {"kind": "results_xlsx", "campaign": scored.campaign.pk}).status_code == 403
    assert client_for(users.organiser).get(f"/exports/campaign/{scored.campaign.pk}/").status_code == 200
    assert client_for(users.organiser).get("/exports/campaign/99999/").status_code == 404


def test_campaign_page_offers_buttons_with_reasons(users, scored, client_for):
    r = client_for(users.organiser).get(f"/exports/campaign/{scored.campaign.pk}/")
    html = r.content.decode()
    assert 'data-testid="offer-results_xlsx"' in html and 'data-testid="offer-ballots_xlsx"' in html
    assert "暂不能导出：尚未统分" in html
    assert 'data-testid="tab-exports"' in html
    publish(users, scored)
    html = client_for(users.reporter).get(f"/exports/campaign/{scored.campaign.pk}/").content.decode()
    assert 'data-testid="offer-results_xlsx"' in html and 'data-testid="offer-feedback_docx"' in html
    assert "offer-announcement_docx" not in html and "offer-ballots_xlsx" not in html and "仅本单位" in html


def test_request_shows_the_job_and_downloads(users, scored, client_for, django_capture_on_commit_callbacks):
    publish(users, scored)
    c = client_for(users.organiser)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/exports/request/", {"kind": "results_xlsx", "campaign": scored.campaign.pk})
    assert r.status_code == 302 and r["Location"] == f"/exports/campaign/{scored.campaign.pk}/"
    job = ExportJob.objects.get()
    assert job.state == JobState.DONE
    html = c.get(r["Location"]).content.decode()
    assert f'data-testid="job-{job.pk}"' in html and f'data-testid="download-{job.pk}"' in html
    assert job.filename in html and "已完成" in html
    status = c.get(f"/exports/jobs/{job.pk}/status.json").json()
    assert status["state"] == "done" and status["progress"] == 100 and status["download_url"]
    d = c.get(f"/exports/jobs/{job.pk}/download/")
    assert d.status_code == 200 and "filename*=UTF-8''" in d["Content-Disposition"] and d["Cache-Control"] == "no-store"
    wb = load_workbook(io.BytesIO(b"".join(d.streaming_content)))
    assert wb.sheetnames[0] == "考核结果"


def test_download_and_status_are_for_the_requester_only(users, scored, client_for,
                                                        django_capture_on_commit_callbacks):
    publish(users, scored)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(users.organiser).post("/exports/request/", {"kind": "results_xlsx", "campaign": scored.campaign.pk})
    job = ExportJob.objects.get()
    for name in ("observer", "chair", "reporter"):
        c = client_for(getattr(users, name))
        assert c.get(f"/exports/jobs/{job.pk}/download/").status_code == 404, name
        assert c.get(f"/exports/jobs/{job.pk}/status.json").status_code == 404, name
        assert c.post(f"/exports/jobs/{job.pk}/retry/").status_code == 404, name
    for name in REFUSED:
        assert client_for(getattr(users, name)).get(f"/exports/jobs/{job.pk}/download/").status_code == 403


def test_a_failed_job_shows_its_error_and_retries(users, scored, client_for, django_capture_on_commit_callbacks,
                                                   monkeypatch):
    from shuping.exports import registry

    publish(users, scored)
    e = registry.get("announcement_docx")

    def boom(job, progress):
        raise RuntimeError("x")

    monkeypatch.setattr(e, "build", boom)
    c = client_for(users.organiser)
    with django_capture_on_commit_callbacks(execute=True):
        c.post("/exports/request/", {"kind": "announcement_docx", "campaign": scored.campaign.pk})
    job = ExportJob.objects.get()
    html = c.get(f"/exports/campaign/{scored.campaign.pk}/").content.decode()
    assert f'data-testid="error-{job.pk}"' in html and "生成文件时出错" in html and f"retry-{job.pk}" in html
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/exports/jobs/{job.pk}/retry/")
    assert r.status_code == 302
    assert ExportJob.objects.filter(state=JobState.DONE, kind="announcement_docx").count() == 1


def test_refused_request_shows_a_message(users, scored, client_for):
    c = client_for(users.reporter)
    r = c.post("/exports/request/", {"kind": "results_xlsx", "campaign": scored.campaign.pk}, follow=True)
    assert "尚未统分" in r.content.decode() and not ExportJob.objects.exists()
    r = c.post("/exports/request/", {"kind": "announcement_docx", "campaign": scored.campaign.pk})
    assert r.status_code == 403


def test_nav_entry(users, client_for):
    assert "导出与分析" in client_for(users.reporter).get("/exports/").content.decode()
    assert "导出与分析" not in client_for(users.judge).get("/").content.decode()
