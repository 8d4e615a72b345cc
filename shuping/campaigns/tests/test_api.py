"""The campaigns JSON API: same actions and access rules as the pages."""

from __future__ import annotations

import json

import pytest

from shuping.campaigns import actions
from shuping.campaigns.models import Campaign, CampaignState, LotDraw, ParticipantMode
from shuping.campaigns.scheme import default_scheme


def post(client, path: str, data: object, method: str = "post"):
    return getattr(client, method)(path, data=json.dumps(data), content_type="application/json")


def test_it_needs_a_token(client, campaign):
    assert client.get("/api/campaigns").status_code == 401


def test_list_and_get(users, api_for, campaign, published):
    api = api_for(users.observer)
    rows = api.get("/api/campaigns").json()
    assert [r["year"] for r in rows] == [2025]
    r = api.get(f"/api/campaigns/{campaign.pk}").json()
    assert r["state"] == "published" and r["next_states"] == ["meeting"] and r["scheme"]["trim_k"] == 1
    assert r["committee_code"] == "Q" and r["report_deadline"] == "2026-01-10"
    assert api.get("/api/campaigns", {"state": "draft"}).json() == []


def test_drafts_are_hidden_from_chair_judge_and_reporters(users, api_for, campaign):
    for who in (users.chair, users.judge, users.reporter):
        api = api_for(who)
        assert api.get("/api/campaigns").json() == []
        assert api.get(f"/api/campaigns/{campaign.pk}").status_code == 404
    assert api_for(users.nobody).get("/api/campaigns").status_code == 403


def test_create(users, api_for, district):
    r = post(api_for(users.organiser), "/api/campaigns", {
        "year": 2026, "title": "2026年度述职评议", "committee_id": district.root.pk, "meeting_date": "2027-01-20"})
    assert r.status_code == 201 and r.json()["state"] == "draft" and r.json()["report_deadline"] == "2027-01-10"
    r = post(api_for(users.observer), "/api/campaigns", {"year": 2027, "title": "x", "committee_id": district.root.pk})
    assert r.status_code == 403
    assert Campaign.objects.count() == 1


def test_update_basic_fields(users, api_for, campaign):
    r = post(api_for(users.organiser), f"/api/campaigns/{campaign.pk}", {"title": "新名称"}, method="patch")
    assert r.status_code == 200 and r.json()["title"] == "新名称" and r.json()["meeting_date"] == "2026-01-20"


def test_update_scheme(users, api_for, campaign):
    s = default_scheme()
    s["speaking_minutes"] = 7
    r = post(api_for(users.organiser), f"/api/campaigns/{campaign.pk}/scheme", s, method="put")
    assert r.status_code == 200 and r.json()["scheme"]["speaking_minutes"] == 7


def test_an_invalid_scheme_answers_422_with_every_message(users, api_for, campaign):
    s = default_scheme()
    s["component_weights"]["ballot"] = "50"
    s["grade_thresholds"] = {"好": "80", "较好": "80", "一般": "70"}
    r = post(api_for(users.organiser), f"/api/campaigns/{campaign.pk}/scheme", s, method="put")
    assert r.status_code == 422
    assert r.json()["errors"] == [
        "综合得分各组成部分权重合计应为 100%，当前为 110%",
        "等次分数线应满足 0 ≤ 一般 < 较好 < 好 ≤ 100，当前为 好 80、较好 80、一般 70",
    ]


def test_the_scheme_is_frozen_after_publishing(users, api_for, published):
    r = post(api_for(users.organiser), f"/api/campaigns/{published.pk}/scheme", default_scheme(), method="put")
    assert r.status_code == 422 and "考核规则已冻结" in r.json()["errors"][0]


def test_scheme_updates_are_for_organisers(users, api_for, campaign):
    for who in (users.observer, users.admin):
        r = post(api_for(who), f"/api/campaigns/{campaign.pk}/scheme", default_scheme(), method="put")
        assert r.status_code == 403


def test_transitions(users, api_for, campaign):
    api = api_for(users.organiser)
    r = post(api, f"/api/campaigns/{campaign.pk}/transition", {"to": "meeting"})
    assert r.status_code == 422 and r.json()["errors"] == ["不能从“草拟”变为“会议中”；当前状态下可变为：“已发布”"]
    r = post(api, f"/api/campaigns/{campaign.pk}/transition", {"to": "published"})
    assert r.status_code == 200 and r.json()["state"] == "published"
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.REVIEW)
    r = post(api, f"/api/campaigns/{campaign.pk}/transition", {"to": "tallying"})
    assert r.status_code == 422 and "必须填写理由" in r.json()["errors"][0]
    r = post(api, f"/api/campaigns/{campaign.pk}/transition", {"to": "tallying", "reason": "复核发现漏票"})
    assert r.json()["state"] == "tallying"
    assert post(api_for(users.observer), f"/api/campaigns/{campaign.pk}/transition",
                {"to": "review"}).status_code == 403


def test_copy(users, api_for, campaign):
    r = post(api_for(users.organiser), f"/api/campaigns/{campaign.pk}/copy", {})
    assert r.status_code == 201 and r.json()["year"] == 2026 and r.json()["copied_from_id"] == campaign.pk
    r = post(api_for(users.organiser), f"/api/campaigns/{campaign.pk}/copy", {})
    assert r.status_code == 422


def test_participants_crud(users, api_for, campaign, streets):
    api = api_for(users.organiser)
    base = f"/api/campaigns/{campaign.pk}/participants"
    r = post(api, base, {"unit_code": "Q03", "speaking_order": 1, "draw_group": "街道"})
    assert r.status_code == 201
    p = r.json()
    assert (p["unit_name"], p["secretary_name"], p["speaking_order"]) == ("第3街道党工委", "书记3", 1)
    rows = api.get(base).json()
    assert [(r["unit_code"], r["speaking_order"]) for r in rows if r["mode"] == "onsite"] == [
        ("Q03", 1), ("Q01", 2), ("Q02", 3)]
    r = post(api, f"{base}/{p['id']}", {"mode": "written"}, method="patch")
    assert r.json()["speaking_order"] is None
    assert api.delete(f"{base}/{p['id']}").status_code == 204
    assert len(api.get(base).json()) == 3


def test_adding_a_unit_without_secretary_answers_422(users, api_for, campaign, streets):
    streets[0].secretary = None
    streets[0].save()
    r = post(api_for(users.organiser), f"/api/campaigns/{campaign.pk}/participants", {"unit_id": streets[0].pk})
    assert r.status_code == 422 and "没有书记" in r.json()["errors"][0]


def test_set_the_speaking_order(users, api_for, campaign):
    ids = dict(campaign.participants.values_list("unit__code", "pk"))
    r = post(api_for(users.organiser), f"/api/campaigns/{campaign.pk}/speaking-order",
             {"participant_ids": [ids["Q02"], ids["Q01"]]}, method="put")
    assert [p["unit_code"] for p in r.json()] == ["Q02", "Q01"]


def test_a_reporter_sees_only_their_own_row(users, api_for, published):
    rows = api_for(users.reporter).get(f"/api/campaigns/{published.pk}/participants").json()
    assert [r["unit_code"] for r in rows] == ["Q01"]


def test_participant_writes_are_for_organisers(users, api_for, campaign, streets):
    p = campaign.participants.first()
    assert p is not None
    for who in (users.observer, users.reporter):
        api = api_for(who)
        assert post(api, f"/api/campaigns/{campaign.pk}/participants", {"unit_code": "Q03"}).status_code in (403, 404)
        assert api.delete(f"/api/campaigns/{campaign.pk}/participants/{p.pk}").status_code in (403, 404)
    assert campaign.participants.count() == 3


def test_draw_lots_and_replay(users, api_for, campaign, streets):
    actions.add_participants(users.organiser, campaign, streets, draw_group="街道")
    api = api_for(users.organiser)
    r = post(api, f"/api/campaigns/{campaign.pk}/lots", {"group": "街道", "count": 2})
    assert r.status_code == 201
    lot = r.json()
    assert lot["replay_ok"] and len(lot["drawn"]) == 2 and lot["candidates"] == ["Q03", "Q04", "Q05", "Q06", "Q07"]
    assert campaign.participants.filter(draw_group="街道", mode=ParticipantMode.WRITTEN).count() == 3
    LotDraw.objects.update(drawn=list(reversed(lot["drawn"])))
    assert api_for(users.observer).get(f"/api/campaigns/{campaign.pk}/lots").json()[0]["replay_ok"] is False
    assert post(api_for(users.observer), f"/api/campaigns/{campaign.pk}/lots",
                {"group": "街道", "count": 1}).status_code == 403


@pytest.mark.parametrize("who", ["reporter", "nobody"])
def test_lot_history_is_not_for_reporters(users, api_for, published, who):
    assert api_for(getattr(users, who)).get(f"/api/campaigns/{published.pk}/lots").status_code == 403


def test_the_openapi_schema_lists_the_campaign_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/campaigns", "/api/campaigns/{campaign_id}/scheme", "/api/campaigns/{campaign_id}/lots",
            "/api/campaigns/{campaign_id}/participants/{participant_id}"} <= set(paths)
