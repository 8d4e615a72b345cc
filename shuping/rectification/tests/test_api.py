"""整改台账 API: permissions per endpoint, unit scoping, workflow, uploads, 422 messages."""

from __future__ import annotations

import pytest

from shuping.rectification.models import EntryState, Evidence, LedgerEntry, ProgressReport

BASE = "/api/ledger/entries"


def test_list_is_scoped_by_unit(api_for, users, entry, west_entry):
    ids = {e["id"] for e in api_for(users.observer).get(BASE).json()}
    assert ids == {entry.pk, west_entry.pk}
    [only] = api_for(users.owner).get(BASE).json()
    assert only["id"] == entry.pk and only["unit_name"] == "东城街道党工委" and only["responsible"] == "钱东明"
    assert [e["id"] for e in api_for(users.other_reporter).get(BASE).json()] == [west_entry.pk]


@pytest.mark.parametrize("who", ["judge", "teller", "admin", "nobody"])
def test_outsiders_get_403(api_for, users, entry, who):
    c = api_for(getattr(users, who))
    assert c.get(BASE).status_code == 403
    assert c.get(f"{BASE}/{entry.pk}").status_code == 403


def test_another_units_entry_is_404(api_for, users, entry):
    c = api_for(users.other_reporter)
    assert c.get(f"{BASE}/{entry.pk}").status_code == 404
    assert c.post(f"{BASE}/{entry.pk}/progress", {"text": "x"}, content_type="application/json").status_code == 404


def test_filters(api_for, users, entry, west_entry):
    c = api_for(users.organiser)
    assert [e["id"] for e in c.get(BASE, {"category": "resources"}).json()] == [west_entry.pk]
    assert [e["id"] for e in c.get(BASE, {"unit_id": entry.unit_id}).json()] == [entry.pk]
    assert [e["id"] for e in c.get(BASE, {"source": "inspection"}).json()] == [entry.pk]
    assert c.get(BASE, {"year": 2024}).json() == []


def test_organiser_creates_and_updates(api_for, users, district, campaign):
    c = api_for(users.organiser)
    r = c.post(BASE, {"unit_id": district.west.pk, "campaign_id": campaign.pk, "problem": "发展党员把关不严",
                      "category": "members", "source": "inspection", "responsible_id": district.west.secretary.pk,
                      "deadline": "2026-08-31"}, content_type="application/json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["state"] == "open" and body["responsible"] == "孙西华" and body["year"] == 2025
    r = c.patch(f"{BASE}/{body['id']}", {"measures": "严格执行发展党员工作细则"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["measures"] == "严格执行发展党员工作细则"


def test_create_refusals_are_422_in_chinese(api_for, users, district):
    c = api_for(users.organiser)
    r = c.post(BASE, {"unit_id": district.west.pk, "problem": "", "category": "x", "source": "self"},
               content_type="application/json")
    assert r.status_code == 422
    assert "请填写问题" in r.json()["errors"] and "请选择问题类别" in r.json()["errors"]
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("who", ["observer", "chair", "owner", "reporter"])
def test_only_organisers_write_entries(api_for, users, district, entry, who):
    c = api_for(getattr(users, who))
    r = c.post(BASE, {"unit_id": district.east.pk, "problem": "p", "category": "style", "source": "self"},
               content_type="application/json")
    assert r.status_code == 403
    assert c.patch(f"{BASE}/{entry.pk}", {"measures": "x"}, content_type="application/json").status_code == 403


def test_progress_json_and_multipart(api_for, users, entry, files):
    c = api_for(users.owner)
    r = c.post(f"{BASE}/{entry.pk}/progress", {"text": "召开专题会"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["evidence"] == []
    r = c.post(f"{BASE}/{entry.pk}/progress-with-files", {"text": "完成轮训",
                                                          "files": [files.upload("签到.pdf", files.pdf),
                                                                    files.upload("照片.jpg", files.jpeg)]})
    assert r.status_code == 201, r.json()
    names = [e["name"] for e in r.json()["evidence"]]
    assert names == ["签到.pdf", "照片.jpg"]
    assert api_for(users.owner).get(f"{BASE}/{entry.pk}").json()["progress"][1]["text"] == "完成轮训"


def test_a_bad_upload_is_422_and_keeps_nothing(api_for, users, entry, files, media):
    r = api_for(users.owner).post(f"{BASE}/{entry.pk}/progress-with-files",
                                  {"text": "进展", "files": [files.upload("表.xlsx", files.exe)]})
    assert r.status_code == 422 and "类型不允许上传" in r.json()["errors"][0]
    assert not ProgressReport.objects.exists() and not Evidence.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize("who", ["organiser", "observer"])
def test_only_unit_people_post_progress(api_for, users, entry, who):
    r = api_for(getattr(users, who)).post(f"{BASE}/{entry.pk}/progress", {"text": "x"}, content_type="application/json")
    assert r.status_code == 403


def test_closure_workflow(api_for, users, organiser2, entry, files):
    owner = api_for(users.owner)
    r = owner.post(f"{BASE}/{entry.pk}/request-closure", {"note": "已完成"})
    assert r.status_code == 422 and "申请销号需要至少一份佐证材料" in r.json()["errors"]
    p = owner.post(f"{BASE}/{entry.pk}/progress-with-files", {"text": "轮训", "files": [files.upload("a.pdf", files.pdf)]})
    ev_id = p.json()["evidence"][0]["id"]
    r = owner.post(f"{BASE}/{entry.pk}/request-closure", {"note": "已完成", "evidence_ids": [ev_id]})
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "requested" and [e["id"] for e in r.json()["closure_evidence"]] == [ev_id]
    assert api_for(users.observer).post(f"{BASE}/{entry.pk}/verify").status_code == 403
    assert owner.post(f"{BASE}/{entry.pk}/verify").status_code == 403
    r = api_for(organiser2).post(f"{BASE}/{entry.pk}/return", {"reason": "缺少名单"}, content_type="application/json")
    assert r.json()["state"] == "open" and r.json()["return_reason"] == "缺少名单"
    owner.post(f"{BASE}/{entry.pk}/request-closure", {"note": "已补充", "files": [files.upload("名单.xlsx", files.xlsx)]})
    r = api_for(organiser2).post(f"{BASE}/{entry.pk}/verify")
    assert r.status_code == 200 and r.json()["state"] == "closed" and r.json()["verified_by"] == "组织部小李"
    r = api_for(organiser2).post(f"{BASE}/{entry.pk}/verify")
    assert r.status_code == 422 and "没有待审核的销号申请" in r.json()["errors"][0]
    r = api_for(users.organiser).post(f"{BASE}/{entry.pk}/reopen", {"reason": "问题反弹"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "open"
    entry.refresh_from_db()
    assert entry.state == EntryState.OPEN


def test_evidence_of_another_entry_cannot_be_used(api_for, users, entry, files, district):
    from shuping.rectification import actions
    other = actions.create_entry(users.organiser, unit=district.east, problem="另一问题", category="style",
                                 source="self")
    r = actions.post_progress(users.owner, other, text="x", files=[files.upload("a.pdf", files.pdf)])
    resp = api_for(users.owner).post(f"{BASE}/{entry.pk}/request-closure",
                                     {"note": "n", "evidence_ids": [r.evidence.get().pk]})
    assert resp.status_code == 422 and "不属于该条目" in resp.json()["errors"][0]


def test_the_requester_cannot_verify_through_the_api(api_for, users, entry, files, district):
    from shuping.accounts.models import Role, User, UserRole
    UserRole.objects.create(user=users.organiser, role=Role.OWNER)
    User.objects.filter(pk=users.organiser.pk).update(unit=district.east)
    c = api_for(User.objects.get(pk=users.organiser.pk))
    c.post(f"{BASE}/{entry.pk}/request-closure", {"note": "n", "files": [files.upload("a.pdf", files.pdf)]})
    r = c.post(f"{BASE}/{entry.pk}/verify")
    assert r.status_code == 422 and "申请人以外" in r.json()["errors"][0]
