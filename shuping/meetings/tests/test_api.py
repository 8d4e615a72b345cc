"""The meetings API: token, read/write permissions per endpoint, control actions answer with the state,
refused moves answer 422 with Chinese messages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.accounts.models import User
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.meetings.models import Meeting


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


def send(client: Client, path: str, data: object = None, method: str = "post"):
    return getattr(client, method)(path, data=json.dumps(data or {}), content_type="application/json")


def test_it_needs_a_token(client, meeting_setup):
    m = meeting_setup.meeting
    assert client.get(f"/api/meetings/{m.pk}/state").status_code == 401
    assert send(client, f"/api/meetings/{m.pk}/actions/start_meeting").status_code == 401


def test_permissions(meeting_setup, users, api_for):
    m, c = meeting_setup.meeting, meeting_setup.campaign
    reads = [f"/api/meetings/{m.pk}", f"/api/meetings/{m.pk}/state", f"/api/campaigns/{c.pk}/meeting"]
    writes = [(f"/api/campaigns/{c.pk}/meeting", {}, "post"),
              (f"/api/meetings/{m.pk}/options", {"show_ranking": True, "show_judges": True}, "put"),
              (f"/api/meetings/{m.pk}/actions/start_meeting", {}, "post"),
              (f"/api/meetings/{m.pk}/actions/move", {"item": meeting_setup.items[1].pk, "direction": "up"}, "post")]
    for who in (users.observer, users.chair):
        cl = api_for(who)
        for url in reads:
            assert cl.get(url).status_code == 200, url
        for url, data, method in writes:
            assert send(cl, url, data, method).status_code == 403, url
        assert cl.get(f"/api/meetings/{m.pk}").json()["screen_path"] is None
    for who in (users.judge, users.reporter, users.teller, users.admin, users.nobody):
        cl = api_for(who)
        for url in reads:
            assert cl.get(url).status_code == 403, (who, url)
        for url, data, method in writes:
            assert send(cl, url, data, method).status_code == 403, (who, url)
    assert Meeting.objects.get(pk=m.pk).version == 1


def test_run_a_meeting_through_the_api(meeting_setup, users, api_for):
    m, east = meeting_setup.meeting, meeting_setup.items[0]
    org = api_for(users.organiser)
    body = org.get(f"/api/meetings/{m.pk}").json()
    assert body["screen_path"] == f"/meetings/screen/{m.screen_key}/" and body["state"] == "planned"
    r = send(org, f"/api/meetings/{m.pk}/actions/start_meeting")
    assert r.status_code == 200 and r.json()["current"]["unit"] == "东城街道党工委"
    r = send(org, f"/api/meetings/{m.pk}/actions/start_timer", {"item": east.pk})
    assert r.json()["current"]["timer"]["state"] == "running"
    r = send(org, f"/api/meetings/{m.pk}/actions/extend_timer", {"item": east.pk, "seconds": 30})
    assert r.json()["current"]["timer"]["planned_ms"] == 390_000
    r = send(org, f"/api/meetings/{m.pk}/actions/start_timer", {"item": east.pk})
    assert r.status_code == 422 and "不能重新开始" in r.json()["errors"][0]
    r = send(org, f"/api/meetings/{m.pk}/actions/undo")
    assert r.json()["current"]["timer"]["planned_ms"] == 360_000
    r = send(org, f"/api/meetings/{m.pk}/actions/absent", {"item": meeting_setup.items[1].pk, "absent": True,
                                                           "substitute": "王副书记"})
    assert r.json()["agenda"][1]["substitute"] == "王副书记"
    r = send(org, f"/api/meetings/{m.pk}/actions/next")
    assert r.json()["current"]["substitute"] == "王副书记"
    r = send(org, f"/api/meetings/{m.pk}/options", {"show_ranking": True, "show_judges": False, "attendees": 80},
             "put")
    assert r.json()["attendees"] == 80 and r.json()["show_ranking"] is True
    r = send(org, f"/api/meetings/{m.pk}/actions/nonsense")
    assert r.status_code == 422 and "未知的操作" in r.json()["errors"][0]
    r = send(org, f"/api/meetings/{m.pk}/actions/pause_timer")
    assert r.status_code == 422 and r.json()["errors"] == ["请指定议程"]


def test_create_through_the_api(users, api_for, district):
    c = Campaign.objects.create(year=2026, title="2026年度述职评议", committee=district.root,
                                state=CampaignState.PUBLISHED)
    Participant.objects.create(campaign=c, unit=district.east, secretary=district.east.secretary, speaking_order=1)
    org = api_for(users.organiser)
    assert org.get(f"/api/campaigns/{c.pk}/meeting").status_code == 404
    r = send(org, f"/api/campaigns/{c.pk}/meeting")
    assert r.status_code == 201 and r.json()["state"] == "planned"
    r = send(org, f"/api/campaigns/{c.pk}/meeting")
    assert r.status_code == 422 and "已安排" in r.json()["errors"][0]
