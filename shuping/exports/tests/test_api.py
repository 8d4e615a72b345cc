"""Export jobs JSON API: token needed, kinds per user, create → status → file, private jobs, errors."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from shuping.accounts.actions import create_token
from shuping.exports.models import ExportJob
from shuping.exports.tests.helpers import media, publish  # noqa: F401  (fixtures)
from shuping.results.tests import conftest as results_fixtures

judges = results_fixtures.judges
scored = results_fixtures.scored
pytestmark = pytest.mark.usefixtures("media")


def api(user) -> Client:
    _, raw = create_token(user, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_it_needs_a_token(scored):
    c = Client()
    assert c.get("/api/exports/jobs").status_code == 401
    assert c.post("/api/exports/jobs", {"kind": "results_xlsx"}, content_type="application/json").status_code == 401


def test_kinds_per_user(users, scored):
    publish(users, scored)
    org = {k["key"]: k for k in api(users.organiser).get("/api/exports/kinds",
                                                          {"campaign_id": scored.campaign.pk}).json()}
    assert {"results_xlsx", "announcement_docx", "feedback_docx", "ledger_xlsx", "ballots_xlsx"} <= set(org)
    assert org["results_xlsx"]["ready"] and not org["results_xlsx"]["unit_only"]
    mine = {k["key"]: k for k in api(users.reporter).get("/api/exports/kinds",
                                                         {"campaign_id": scored.campaign.pk}).json()}
    assert set(mine) == {"results_xlsx", "feedback_docx", "ledger_xlsx"} and mine["results_xlsx"]["unit_only"]
    assert api(users.judge).get("/api/exports/kinds", {"campaign_id": scored.campaign.pk}).json() == []


def test_create_status_file(users, scored, django_capture_on_commit_callbacks):
    publish(users, scored)
    c = api(users.reporter)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/api/exports/jobs", {"kind": "results_xlsx", "campaign_id": scored.campaign.pk},
                   content_type="application/json")
    assert r.status_code == 201, r.content
    job_id = r.json()["id"]
    assert r.json()["unit_id"] == users.reporter.unit_id
    s = c.get(f"/api/exports/jobs/{job_id}").json()
    assert s["state"] == "done" and s["progress"] == 100 and s["size"] > 0
    assert [j["id"] for j in c.get("/api/exports/jobs").json()] == [job_id]
    f = c.get(f"/api/exports/jobs/{job_id}/file")
    assert f.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(f.streaming_content)))["考核结果"]
    assert [r[1] for r in ws.iter_rows(min_row=4, values_only=True) if r[1]] == ["东城街道党工委"]
    other = api(users.other_reporter)
    assert other.get(f"/api/exports/jobs/{job_id}").status_code == 404
    assert other.get(f"/api/exports/jobs/{job_id}/file").status_code == 404
    assert other.get("/api/exports/jobs").json() == []


def test_errors(users, scored):
    c = api(users.organiser)
    r = c.post("/api/exports/jobs", {"kind": "results_xlsx", "campaign_id": scored.campaign.pk},
               content_type="application/json")
    assert r.status_code == 422 and "尚未统分" in r.json()["errors"][0]
    r = c.post("/api/exports/jobs", {"kind": "nope", "campaign_id": scored.campaign.pk}, content_type="application/json")
    assert r.status_code == 422
    r = api(users.judge).post("/api/exports/jobs", {"kind": "results_xlsx", "campaign_id": scored.campaign.pk},
                              content_type="application/json")
    assert r.status_code == 403
    r = api(users.reporter).post("/api/exports/jobs", {"kind": "announcement_docx", "campaign_id": scored.campaign.pk},
                                 content_type="application/json")
    assert r.status_code == 403
    assert c.get("/api/exports/jobs/999").status_code == 404
    assert c.post("/api/exports/jobs", {"kind": "results_xlsx", "campaign_id": 999},
                  content_type="application/json").status_code == 404
    assert not ExportJob.objects.exists()


def test_retry_only_failed(users, scored, django_capture_on_commit_callbacks):
    publish(users, scored)
    c = api(users.organiser)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = c.post("/api/exports/jobs", {"kind": "ledger_xlsx"}, content_type="application/json").json()["id"]
    assert c.post(f"/api/exports/jobs/{job_id}/retry").status_code == 422
