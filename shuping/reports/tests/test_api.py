"""述职报告 API: permissions per endpoint, the writing flow, the 409 on a stale save, review and progress."""

from __future__ import annotations

import json

from django.test import Client

from shuping.audit.models import AuditEvent
from shuping.reports import actions
from shuping.reports.models import Report, ReportState
from shuping.reports.tests.conftest import TEXT


def send(client: Client, path: str, data: object = None, method: str = "post"):
    return getattr(client, method)(path, data=json.dumps(data or {}), content_type="application/json")


def test_it_needs_a_token(client, report):
    assert client.get(f"/api/reports/{report.pk}").status_code == 401


def test_permissions_of_every_endpoint(users, api_for, campaign, report):
    r, c = f"/api/reports/{report.pk}", f"/api/campaigns/{campaign.pk}/reports"
    writes = [(r, {"revision": 0, "sections": {"plans": "x"}}, "put"), (f"{r}/sign", {"name": "x"}, "post"),
              (f"{r}/submit", {}, "post"), (f"{r}/versions/1/restore", {}, "post")]
    reviews = [(f"{r}/return", {"comment": "x"}, "post"), (f"{r}/approve", {}, "post"), (f"{c}/remind", {}, "post")]
    # Another unit's reporter: the report does not exist for them.
    other = api_for(users.other_reporter)
    for path, data, method in writes:
        assert send(other, path, data, method).status_code == 404, path
    assert other.get(r).status_code == 404 and other.get(f"{r}/versions").status_code == 404
    # No report role at all: 403 everywhere.
    for who in (users.nobody, users.judge, users.admin, users.teller):
        cl = api_for(who)
        assert cl.get(r).status_code == 403 and cl.get(f"{c}/mine").status_code == 403
        for path, data, method in writes + reviews:
            assert send(cl, path, data, method).status_code in (403, 404), (who, path)
    # Readers read but neither write nor review (observer, chair); the organiser reviews but does not write.
    for who in (users.observer, users.chair, users.organiser):
        cl = api_for(who)
        assert cl.get(r).status_code == 200 and cl.get(f"{c}/progress").status_code == 200
        for path, data, method in writes:
            assert send(cl, path, data, method).status_code == 403, (who, path)
        assert cl.get(f"{c}/mine").status_code == 403
    for who in (users.observer, users.chair):
        for path, data, method in reviews:
            assert send(api_for(who), path, data, method).status_code == 403, (who, path)
    rep = api_for(users.reporter)
    for path, data, method in reviews:
        assert send(rep, path, data, method).status_code == 403, path
    assert rep.get(f"{c}/progress").status_code == 403
    assert Report.objects.get(pk=report.pk).revision == 0


def test_the_reporter_writes_signs_and_submits_through_the_api(users, api_for, campaign, prior):
    rep = api_for(users.reporter)
    body = rep.get(f"/api/campaigns/{campaign.pk}/reports/mine").json()
    assert body["state"] == "draft" and body["revision"] == 0 and body["unit"] == "东城街道党工委"
    assert [i["problem"] for i in body["prior_items"]] == ["社区党组织书记培训覆盖面不足", "党群服务中心使用率不高"]
    assert body["prior_items"][0]["source_label"] == "点评" and body["prior_items"][0]["year"] == 2025
    path = f"/api/reports/{body['id']}"
    first = prior.east1.pk
    r = send(rep, path, {"revision": 0, "sections": TEXT, "answers": {str(first): "已完成轮训"}}, "put")
    assert r.status_code == 200 and r.json()["revision"] == 1
    assert r.json()["hints"]["total"] > 0 and len(r.json()["hints"]["shares"]) == 3
    # A save from the old revision: 409 with the current text, nothing saved.
    r = send(rep, path, {"revision": 0, "sections": {"plans": "旧窗口"}}, "put")
    assert r.status_code == 409
    assert r.json()["revision"] == 1 and r.json()["sections"]["plans"] == TEXT["plans"]
    assert r.json()["answers"][str(first)] == "已完成轮训"
    assert send(rep, f"{path}/sign", {"name": "钱东明"}).json()["signed_by_name"] == "钱东明"
    r = send(rep, f"{path}/submit")
    assert r.status_code == 422 and "党群服务中心使用率不高" in r.json()["errors"][0]
    r = send(rep, path, {"revision": 1, "answers": {str(prior.east2.pk): "已建立开放制度"}}, "put")
    assert r.json()["signed_at"] is None  # edited after sign-off
    send(rep, f"{path}/sign", {"name": "钱东明"})
    r = send(rep, f"{path}/submit")
    assert r.status_code == 200 and r.json()["state"] == "submitted" and r.json()["late"] is False
    versions = rep.get(f"{path}/versions").json()
    assert versions[0]["note"] == "提交"


def test_the_organiser_reviews_reminds_and_follows_progress(users, api_for, campaign, report, fill):
    fill(report)
    actions.sign(users.reporter, report, "钱东明")
    actions.submit(users.reporter, report)
    org = api_for(users.organiser)
    base = f"/api/campaigns/{campaign.pk}/reports"
    p = org.get(f"{base}/progress").json()
    assert p["counts"] == {"missing": 2, "submitted": 1, "returned": 0, "approved": 0, "overdue": 0}
    assert [row["status_label"] for row in p["rows"]] == ["已提交", "未提交", "未提交"]
    r = send(org, f"/api/reports/{report.pk}/return", {"comment": ""})
    assert r.status_code == 422 and r.json()["errors"] == ["退回修改须填写意见"]
    r = send(org, f"/api/reports/{report.pk}/return", {"comment": "请补充具体数据"})
    assert r.json()["state"] == "returned" and r.json()["reviews"][0]["comment"] == "请补充具体数据"
    # The reporter sees the comment on their report.
    mine = api_for(users.reporter).get(f"{base}/mine").json()
    assert mine["reviews"][0]["action_label"] == "退回修改"
    r = send(org, f"{base}/remind", {"comment": "请周五前提交"})
    assert r.json() == {"reminded": 3}
    assert AuditEvent.objects.filter(action="report.remind").count() == 3
    assert Report.objects.get(pk=report.pk).state == ReportState.RETURNED


def test_bad_input_answers_422(users, api_for, report):
    rep = api_for(users.reporter)
    r = send(rep, f"/api/reports/{report.pk}", {"revision": 0, "sections": {"foo": "x"}}, "put")
    assert r.status_code == 422 and "未知的报告部分" in r.json()["errors"][0]
    r = send(rep, f"/api/reports/{report.pk}/sign", {"name": " "})
    assert r.status_code == 422
