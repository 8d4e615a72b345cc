"""The ballot-box setup API: same actions and permissions as the pages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.accounts.models import User
from shuping.ballots.actions import setup
from shuping.ballots.casting import cast
from shuping.ballots.models import BallotBox, BallotToken, BoxState, TokenChannel, TokenStatus


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


def send(client: Client, path: str, data: object = None, method: str = "post"):
    return getattr(client, method)(path, data=json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def new_box(users, campaign) -> BallotBox:
    return setup.create_box(users.organiser, campaign)


def test_it_needs_a_token(client, new_box):
    assert client.get(f"/api/ballots/boxes/{new_box.pk}").status_code == 401


def test_create_and_read(users, api_for, campaign):
    org = api_for(users.organiser)
    r = send(org, f"/api/campaigns/{campaign.pk}/ballot-box")
    assert r.status_code == 201
    body = r.json()
    assert body["state"] == "setup" and [ln["secretary"] for ln in body["lines"]] == ["钱东明", "孙西华", "李育才"]
    assert body["voter_groups"][0] == {"index": 0, "name": "区委领导", "weight": "20"}
    assert send(org, f"/api/campaigns/{campaign.pk}/ballot-box").status_code == 422
    obs = api_for(users.observer)
    assert obs.get(f"/api/campaigns/{campaign.pk}/ballot-box").json()["id"] == body["id"]
    assert obs.get(f"/api/ballots/boxes/{body['id']}").status_code == 200


def test_permissions(users, api_for, campaign, new_box):
    b = f"/api/ballots/boxes/{new_box.pk}"
    writes = [(f"/api/campaigns/{campaign.pk}/ballot-box", {}, "post"), (f"{b}/lines", {"participant_ids": [1]}, "put"),
              (b, {"items": ["x"]}, "patch"), (f"{b}/tokens", {"counts": {"0": 1}}, "post"),
              (f"{b}/tokens/1/revoke", {"reason": "x"}, "post"), (f"{b}/open", {}, "post"),
              (f"{b}/close", {}, "post"), (f"{b}/reopen", {"reason": "x"}, "post"), (f"{b}/publish", {}, "post")]
    reads = [b, f"{b}/tokens", f"{b}/turnout", f"/api/campaigns/{campaign.pk}/ballot-box"]
    for who in (users.observer, users.teller, users.chair, users.admin, users.reporter, users.nobody):
        api = api_for(who)
        for path, data, method in writes:
            assert send(api, path, data, method).status_code == 403, (who, path)
        for path in reads:
            assert api.get(path).status_code == (200 if who == users.observer else 403), (who, path)
    assert api_for(users.organiser).get("/api/ballots/boxes/999999").status_code == 404
    assert not BallotToken.objects.exists() and BallotBox.objects.get().state == BoxState.SETUP


def test_lines_and_settings(users, api_for, campaign, new_box):
    org = api_for(users.organiser)
    ids = list(campaign.participants.order_by("-pk").values_list("pk", flat=True))
    r = send(org, f"/api/ballots/boxes/{new_box.pk}/lines", {"participant_ids": ids[:2]}, "put")
    assert r.status_code == 200 and [ln["participant_id"] for ln in r.json()["lines"]] == ids[:2]
    r = send(org, f"/api/ballots/boxes/{new_box.pk}", {"items": ["工作成效"], "comment_max_chars": 50}, "patch")
    assert r.json()["items"] == ["工作成效"] and r.json()["comment_max_chars"] == 50
    assert r.json()["comments_enabled"] is True
    r = send(org, f"/api/ballots/boxes/{new_box.pk}/lines", {"participant_ids": [ids[0], ids[0]]}, "put")
    assert r.status_code == 422 and "述职人不能重复" in r.json()["errors"]
    r = org.patch(f"/api/ballots/boxes/{new_box.pk}", data="{bad json", content_type="application/json")
    assert r.status_code in (400, 422)
    assert BallotBox.objects.get().items == ["工作成效"]


def test_issue_returns_printable_tokens_once(users, api_for, new_box, settings):
    settings.SHUPING_PUBLIC_URL = "https://pj.example.cn"
    org = api_for(users.organiser)
    r = send(org, f"/api/ballots/boxes/{new_box.pk}/tokens", {"counts": {"0": 2, "3": 1}})
    assert r.status_code == 201
    rows = r.json()
    assert [(t["serial"], t["group_name"]) for t in rows] == [(1, "区委领导"), (2, "区委领导"), (3, "基层党员群众代表")]
    t = BallotToken.objects.get(serial=1)
    assert rows[0]["code"] == t.code and rows[0]["code_display"] == f"{t.code[:4]}-{t.code[4:]}"
    assert rows[0]["url"] == f"https://pj.example.cn/v/{t.secret}/"
    listed = org.get(f"/api/ballots/boxes/{new_box.pk}/tokens").json()
    assert listed[0] == {"serial": 1, "group": 0, "status": "issued", "channel": ""}
    assert t.code not in json.dumps(listed) and t.secret not in json.dumps(listed)
    r = send(org, f"/api/ballots/boxes/{new_box.pk}/tokens", {"counts": {"7": 1}})
    assert r.status_code == 422 and BallotToken.objects.count() == 3
    r = send(org, f"/api/ballots/boxes/{new_box.pk}/tokens", {"counts": {"0": "many"}})
    assert r.status_code == 422 and BallotToken.objects.count() == 3


def test_token_list_filters(users, api_for, box):
    cast(BallotToken.objects.select_related("box").get(box=box, serial=12), TokenChannel.PHONE, "123", nonce="x")
    api = api_for(users.observer)
    used = api.get(f"/api/ballots/boxes/{box.pk}/tokens", {"status": "used"}).json()
    assert used == [{"serial": 12, "group": 1, "status": "used", "channel": "phone"}]
    assert len(api.get(f"/api/ballots/boxes/{box.pk}/tokens", {"group": 1, "limit": 3}).json()) == 3
    assert api.get(f"/api/ballots/boxes/{box.pk}/tokens", {"status": "nope"}).status_code == 422


def test_revoke(users, api_for, box):
    org = api_for(users.organiser)
    r = send(org, f"/api/ballots/boxes/{box.pk}/tokens/3/revoke", {"reason": "遗失"})
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert BallotToken.objects.get(box=box, serial=3).status == TokenStatus.REVOKED
    assert send(org, f"/api/ballots/boxes/{box.pk}/tokens/3/revoke", {"reason": "again"}).status_code == 422
    assert send(org, f"/api/ballots/boxes/{box.pk}/tokens/99/revoke", {"reason": "x"}).status_code == 404
    assert send(org, f"/api/ballots/boxes/{box.pk}/tokens/4/revoke", {"reason": ""}).status_code == 422


def test_state_moves_and_turnout(users, api_for, new_box):
    org = api_for(users.organiser)
    b = f"/api/ballots/boxes/{new_box.pk}"
    assert send(org, f"{b}/close").status_code == 422
    send(org, f"{b}/tokens", {"counts": {"1": 4}})
    assert send(org, f"{b}/open").json()["state"] == "open"
    token = BallotToken.objects.select_related("box").get(box=new_box, serial=2)
    cast(token, TokenChannel.PHONE, "120", nonce="z")
    t = api_for(users.observer).get(f"{b}/turnout").json()
    assert t["state"] == "open" and t["total"]["issued"] == 4 and t["total"]["used_phone"] == 1
    assert t["groups"][1] == {"group": 1, "name": "领导小组成员", "issued": 4, "used": 1, "used_phone": 1,
                              "used_paper": 0, "invalid": 0, "revoked": 0, "remaining": 3}
    assert send(org, f"{b}/close").json()["state"] == "closed"
    r = send(org, f"{b}/reopen", {"reason": ""})
    assert r.status_code == 422 and "重新开启投票须填写理由" in r.json()["errors"]
    assert send(org, f"{b}/reopen", {"reason": "代表迟到"}).json()["state"] == "open"
    send(org, f"{b}/close")
    r = send(org, f"{b}/publish")
    assert r.status_code == 200 and r.json()["state"] == "published" and r.json()["flags"] == []


def test_publish_refused_with_flags(users, api_for, box):
    from shuping.ballots.models import Ballot

    Ballot.objects.bulk_create([Ballot(box=box, group=0, grades="111", ) for i in range(21)])
    org = api_for(users.organiser)
    closed = send(org, f"/api/ballots/boxes/{box.pk}/close").json()
    assert closed["flags"] and "发出 20 个" in closed["flags"][0]
    r = send(org, f"/api/ballots/boxes/{box.pk}/publish")
    assert r.status_code == 422 and "票箱核对未通过，不能公布：" in r.json()["errors"]
    assert BallotBox.objects.get(pk=box.pk).state == BoxState.CLOSED
