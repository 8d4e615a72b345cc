"""JSON API for units and people, with bearer tokens: same access rules and actions as the pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.audit.models import AuditEvent
from shuping.orgs.models import Person, Unit


@pytest.fixture
def api_for():
    def make(user):
        _, raw = create_token(user, "t")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


def send(c, method: str, url: str, body: dict):
    return getattr(c, method)(url, data=json.dumps(body), content_type="application/json")


def test_it_needs_a_token(district):
    assert Client().get("/api/units").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer sp_nope").get("/api/units").status_code == 401


def test_wide_readers_list_units_with_filters_and_paging(users, district, api_for):
    c = api_for(users.observer)
    body = c.get("/api/units").json()
    assert body["count"] == 4 and body["items"][0]["code"] == "Q" and body["items"][0]["secretary_name"] == "赵书记"
    assert [u["code"] for u in c.get(f"/api/units?parent={district.root.pk}").json()["items"]] == ["Q01", "Q02", "Q11"]
    assert [u["code"] for u in c.get("/api/units?category=机关").json()["items"]] == ["Q11"]
    assert [u["code"] for u in c.get("/api/units?q=西城").json()["items"]] == ["Q02"]
    assert [u["code"] for u in c.get("/api/units?roots=true").json()["items"]] == ["Q"]
    page = c.get("/api/units?limit=2&offset=2").json()
    assert page["count"] == 4 and [u["code"] for u in page["items"]] == ["Q02", "Q11"]
    one = c.get(f"/api/units/{district.east.pk}").json()
    assert one["parent_code"] == "Q" and one["type"] == "党工委"


def test_reporters_see_only_their_unit_and_people(users, district, api_for):
    c = api_for(users.reporter)
    assert [u["code"] for u in c.get("/api/units").json()["items"]] == ["Q01"]
    assert c.get(f"/api/units/{district.west.pk}").status_code == 404
    assert [p["name"] for p in c.get("/api/people").json()["items"]] == ["钱东明"]
    assert c.get(f"/api/people/{district.west.secretary.pk}").status_code == 404
    assert c.get(f"/api/people/{district.east.secretary.pk}").json()["is_secretary"] is True


def test_nobody_sees_nothing(users, district, api_for):
    assert api_for(users.nobody).get("/api/units").json()["count"] == 0


def test_organisers_create_and_update_units(users, district, api_for):
    c = api_for(users.organiser)
    resp = send(c, "post", "/api/units", {"code": "Q03", "name": "南城街道党工委", "type": "党工委", "category": "街道",
                                          "parent_code": "Q", "sort_order": 3})
    assert resp.status_code == 201 and resp.json()["parent_code"] == "Q"
    south = Unit.objects.get(code="Q03")
    resp = send(c, "patch", f"/api/units/{south.pk}", {"name": "南城街道党工委（新）"})
    assert resp.status_code == 200 and resp.json()["name"] == "南城街道党工委（新）" and resp.json()["parent_code"] == "Q"
    assert AuditEvent.objects.filter(action__in=["unit.create", "unit.update"], object_id=str(south.pk)).count() == 2
    resp = send(c, "patch", f"/api/units/{south.pk}", {"parent_code": ""})
    assert resp.json()["parent_id"] is None


def test_api_validation_errors_are_chinese_and_422(users, district, api_for):
    c = api_for(users.organiser)
    resp = send(c, "post", "/api/units", {"code": "Q01", "name": "重复", "type": "党委", "category": "街道"})
    assert resp.status_code == 422 and "单位代码：“Q01”已被其他单位使用" in resp.json()["errors"]
    resp = send(c, "patch", f"/api/units/{district.root.pk}", {"parent_code": "Q01"})
    assert resp.status_code == 422 and any("循环" in e for e in resp.json()["errors"])
    resp = send(c, "post", "/api/units", {"code": "Q09", "name": "x", "type": "党委", "category": "街道", "parent_code": "ZZ"})
    assert resp.status_code == 422 and "上级单位代码“ZZ”不存在" in resp.json()["errors"]


def test_organisers_manage_people_and_secretary(users, district, api_for):
    c = api_for(users.organiser)
    resp = send(c, "post", "/api/people", {"unit_id": district.east.pk, "name": "冯委员", "position": "组织委员"})
    assert resp.status_code == 201 and resp.json()["unit_code"] == "Q01" and resp.json()["is_secretary"] is False
    pid = resp.json()["id"]
    assert send(c, "patch", f"/api/people/{pid}", {"phone": "123"}).json()["phone"] == "123"
    resp = send(c, "patch", f"/api/units/{district.east.pk}", {"secretary_id": pid})
    assert resp.json()["secretary_name"] == "冯委员"
    assert c.get(f"/api/people?unit={district.east.pk}").json()["count"] == 2
    resp = send(c, "patch", f"/api/units/{district.west.pk}", {"secretary_id": pid})
    assert resp.status_code == 422


@pytest.mark.parametrize("role", ["admin", "observer", "chair", "judge", "teller", "reporter", "owner", "nobody"])
def test_only_organisers_write(users, district, api_for, role):
    c = api_for(getattr(users, role))
    resp = send(c, "post", "/api/units", {"code": "Q03", "name": "x", "type": "党委", "category": "街道"})
    assert resp.status_code == 403
    assert send(c, "patch", f"/api/units/{district.east.pk}", {"name": "x"}).status_code == 403
    assert send(c, "post", "/api/people", {"unit_id": district.east.pk, "name": "x"}).status_code == 403
    assert send(c, "patch", f"/api/people/{district.east.secretary.pk}", {"name": "x"}).status_code == 403
    assert not Unit.objects.filter(code="Q03").exists() and not Person.objects.filter(name="x").exists()


def test_openapi_documents_the_endpoints_in_chinese(users, district, client_for):
    schema = client_for(users.organiser).get("/api/openapi.json").json()
    assert "/api/units" in schema["paths"] and "/api/people/{person_id}" in schema["paths"]
    assert schema["components"]["schemas"]["UnitOut"]["properties"]["code"]["description"] == "单位代码（唯一）"
