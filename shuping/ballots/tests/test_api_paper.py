"""The paper-ballot JSON API: same two-person rule and permissions as the pages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.accounts.models import Role, User
from shuping.ballots.actions import paper
from shuping.ballots.casting import cast
from shuping.ballots.models import Ballot, BallotToken, EncryptedBallot, PaperEntry, TokenStatus
from shuping.ballots.tests.conftest import sealed
from shuping.conftest import make_user


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def tellers(users):
    return (users.teller, make_user("teller_b", Role.TELLER), make_user("teller_c", Role.TELLER))


def token_of(box, n=0) -> BallotToken:
    return BallotToken.objects.select_related("box").filter(box=box).order_by("serial")[n]


def post(client: Client, path: str, data: object):
    return client.post(path, data=json.dumps(data), content_type="application/json")


def base(box) -> str:
    return f"/api/ballots/boxes/{box.pk}/paper"


def test_it_needs_a_token(client, box):
    assert client.get(f"{base(box)}/progress").status_code == 401


def test_keying_endpoints_are_for_tellers_only(box, users, api_for):
    t = token_of(box)
    for who in (users.organiser, users.observer, users.chair, users.reporter, users.nobody):
        api = api_for(who)
        assert post(api, f"{base(box)}/find", {"sheet": t.code}).status_code == 403
        assert post(api, f"{base(box)}/key", {"sheet": t.code, "grades": "111"}).status_code == 403
        assert post(api, f"{base(box)}/invalid", {"sheet": t.code, "reason": "x"}).status_code == 403
    assert not PaperEntry.objects.exists() and token_of(box).status == TokenStatus.ISSUED


def test_mismatch_endpoints_are_for_tellers_and_organisers(box, users, api_for):
    for who in (users.observer, users.chair, users.reporter, users.nobody):
        api = api_for(who)
        assert api.get(f"{base(box)}/mismatches").status_code == 403
        assert post(api, f"{base(box)}/mismatches/1/resolve", {"grades": "111"}).status_code == 403
        assert post(api, f"{base(box)}/mismatches/1/invalid", {"reason": "x"}).status_code == 403
    for who in (users.teller, users.organiser):
        assert api_for(who).get(f"{base(box)}/mismatches").json() == []


def test_progress_is_for_tellers_organisers_and_observers(box, users, api_for):
    for who in (users.teller, users.organiser, users.observer):
        r = api_for(who).get(f"{base(box)}/progress")
        assert r.status_code == 200 and r.json()["issued"] == 20
    for who in (users.chair, users.reporter, users.nobody):
        assert api_for(who).get(f"{base(box)}/progress").status_code == 403


def test_an_unknown_box_is_404(box, users, api_for):
    assert api_for(users.teller).get(f"/api/ballots/boxes/{box.pk + 99}/paper/progress").status_code == 404


def test_two_tellers_key_a_sheet_and_it_counts(box, tellers, api_for):
    a, b, _ = tellers
    t = token_of(box)
    r = post(api_for(a), f"{base(box)}/key", {"sheet": t.code, "grades": ["好", "较好", "差"], "comment": "意见"})
    assert r.status_code == 200 and r.json() == {"serial": t.serial, "outcome": "pending",
                                                 "message": "已保存，待另一名计票员复核"}
    r = post(api_for(b), f"{base(box)}/find", {"sheet": f"http://x/v/{t.secret}/"})
    body = r.json()
    assert body["state"] == "awaiting_second" and body["keyable"]
    assert [ln["unit"] for ln in body["lines"]] == ["东城街道党工委", "西城街道党工委", "区教育局党委"]
    assert "124" not in r.text and "意见" not in r.text  # nothing of the first keying
    r = post(api_for(b), f"{base(box)}/key", {"sheet": t.code, "grades": "124", "comment": "意见"})
    assert r.json()["outcome"] == "confirmed" and r.json()["message"] == "一致，已计入"
    assert list(Ballot.objects.values_list("grades", flat=True)) == []  # in the urn until sealed
    sealed(box)
    assert list(Ballot.objects.values_list("grades", flat=True)) == ["124"]
    assert "receipt" not in r.json()


def test_the_same_teller_is_refused(box, tellers, api_for):
    api = api_for(tellers[0])
    t = token_of(box)
    post(api, f"{base(box)}/key", {"sheet": t.code, "grades": "111"})
    r = post(api, f"{base(box)}/key", {"sheet": t.code, "grades": "111"})
    assert r.status_code == 422 and "须由另一名计票员复核" in r.json()["errors"][0]
    assert post(api, f"{base(box)}/find", {"sheet": t.code}).json()["keyable"] is False


def test_a_mismatch_is_listed_for_a_third_teller_and_resolved(box, tellers, users, api_for):
    a, b, c = tellers
    t = token_of(box)
    post(api_for(a), f"{base(box)}/key", {"sheet": t.code, "grades": "124"})
    r = post(api_for(b), f"{base(box)}/key", {"sheet": t.code, "grades": "134"})
    assert r.json()["outcome"] == "mismatch" and not EncryptedBallot.objects.exists()
    for keyer in (a, b):
        assert api_for(keyer).get(f"{base(box)}/mismatches").json() == []
        r = post(api_for(keyer), f"{base(box)}/mismatches/{t.serial}/resolve", {"grades": "124"})
        assert r.status_code == 404
    [m] = api_for(c).get(f"{base(box)}/mismatches").json()
    assert m["serial"] == t.serial and m["differing_positions"] == [1]
    assert [k["grades"] for k in m["keyings"]] == ["124", "134"] and m["keyings"][1]["grade_labels"][1] == "一般"
    r = post(api_for(users.organiser), f"{base(box)}/mismatches/{t.serial}/resolve", {"grades": "134"})
    assert r.status_code == 200 and r.json()["outcome"] == "confirmed"
    assert list(Ballot.objects.values_list("grades", flat=True)) == [] and not PaperEntry.objects.exists()
    assert list(Ballot.objects.filter(box=sealed(box)).values_list("grades", flat=True)) == ["134"]


def test_a_mismatch_declared_invalid(box, tellers, api_for):
    a, b, c = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "124")
    paper.key_sheet(b, t, "134")
    r = post(api_for(c), f"{base(box)}/mismatches/{t.serial}/invalid", {"reason": "涂改"})
    assert r.status_code == 200 and r.json()["reason"] == "涂改"
    assert token_of(box).status == TokenStatus.INVALID


def test_blank_and_invalid_sheets(box, tellers, api_for):
    a, b, _ = tellers
    post(api_for(a), f"{base(box)}/key", {"sheet": token_of(box).code, "blank_sheet": True})
    post(api_for(b), f"{base(box)}/key", {"sheet": token_of(box).code, "blank_sheet": True})
    assert list(Ballot.objects.filter(box=sealed(box)).values_list("grades", flat=True)) == ["000"]
    r = post(api_for(a), f"{base(box)}/invalid", {"sheet": token_of(box, 1).code, "reason": "撕毁"})
    assert r.status_code == 200 and token_of(box, 1).status == TokenStatus.INVALID
    r = post(api_for(a), f"{base(box)}/invalid", {"sheet": token_of(box, 2).code, "reason": " "})
    assert r.status_code == 422 and "原因" in r.json()["errors"][0]
    p = api_for(a).get(f"{base(box)}/progress").json()
    assert (p["confirmed"], p["invalid"], p["unused"]) == (1, 1, 18)


def test_a_phone_used_token_is_refused(box, tellers, api_for):
    t = token_of(box)
    cast(t, "phone", "111", nonce="n")
    r = post(api_for(tellers[0]), f"{base(box)}/key", {"sheet": t.code, "grades": "444"})
    assert r.status_code == 422 and r.json()["errors"] == ["该票号已通过手机投票，纸质票不再计入"]


@pytest.mark.parametrize("body", [
    {"grades": "11"}, {"grades": ["好", "很好", "差"]}, {"grades": "1x1"}, {"grades": "111", "comment": "很" * 501},
])
def test_bad_keyings_are_refused_and_change_nothing(box, tellers, api_for, body):
    r = post(api_for(tellers[0]), f"{base(box)}/key", {"sheet": token_of(box).code, **body})
    assert r.status_code == 422
    assert not PaperEntry.objects.exists()


def test_malformed_json_is_refused(box, tellers, api_for):
    r = api_for(tellers[0]).post(f"{base(box)}/key", data="{nope", content_type="application/json")
    assert r.status_code in (400, 422)
    assert not PaperEntry.objects.exists()


def test_an_unknown_sheet(box, tellers, api_for):
    r = post(api_for(tellers[0]), f"{base(box)}/find", {"sheet": "ZZZZ-ZZZZ"})
    assert r.status_code == 422 and "未找到" in r.json()["errors"][0]
