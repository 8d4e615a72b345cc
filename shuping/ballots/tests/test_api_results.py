"""Results API: tally (Decimal strings), reconciliation, export and receipts, with the pages' permissions."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.accounts.models import User
from shuping.ballots import counting
from shuping.ballots.casting import cast
from shuping.ballots.models import BallotBox, BallotReceipt, BallotToken, TokenChannel
from shuping.ballots.tally import tally
from shuping.ballots.tests.conftest import sealed


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def counted(box) -> BallotBox:
    tokens = list(BallotToken.objects.select_related("box").filter(box=box).order_by("serial"))
    for t, grades in zip(tokens, ["112", "124", "134", "100", "214", "111", "222", "333", "444", "000",
                                  "121", "212", "321", "400"], strict=False):
        cast(t, TokenChannel.PHONE, grades, comment="意见" if grades == "000" else "", nonce=secrets.token_hex(8))
    sealed(box)
    return BallotBox.objects.select_related("campaign").get(pk=box.pk)


def base(box) -> str:
    return f"/api/ballots/boxes/{box.pk}"


def test_it_needs_a_token(client, counted):
    assert client.get(f"{base(counted)}/tally").status_code == 401


@pytest.mark.parametrize("who", ["organiser", "observer", "chair"])
def test_readers_get_the_tally_and_reconciliation(counted, users, api_for, who):
    c = api_for(getattr(users, who))
    assert c.get(f"{base(counted)}/tally").status_code == 200
    assert c.get(f"{base(counted)}/reconciliation").status_code == 200
    assert c.get(f"{base(counted)}/receipts").status_code == 200


@pytest.mark.parametrize("who", ["reporter", "teller", "judge", "admin", "nobody"])
def test_others_get_403(counted, users, api_for, who):
    c = api_for(getattr(users, who))
    for part in ("tally", "reconciliation", "export", "receipts"):
        assert c.get(f"{base(counted)}/{part}").status_code == 403


def test_the_chair_may_not_export(counted, users, api_for):
    assert api_for(users.chair).get(f"{base(counted)}/export").status_code == 403


def test_unknown_box_is_404(users, api_for, db):
    assert api_for(users.organiser).get("/api/ballots/boxes/999/tally").status_code == 404


def test_an_open_box_is_not_counted(box, users, api_for):
    r = api_for(users.organiser).get(f"{base(box)}/tally")
    assert r.status_code == 422 and "封箱后才计票" in r.json()["errors"][0]


def test_tally_json_uses_decimal_strings(counted, users, api_for):
    data = api_for(users.observer).get(f"{base(counted)}/tally").json()
    assert data["ballots"] == 14 and data["blank_ballots"] == 1
    east = data["lines"][0]
    assert east["unit"] == "东城街道党工委" and east["secretary"] == "钱东明" and east["position"] == 0
    # group 0 (10 ballots): 好 好 好 好 较好 好 较好 一般 差 弃权 → 好 5 较好 2 一般 1 差 1 → (500+160+60)/9 = 80
    # group 1 (4 ballots, hidden): 好 较好 一般 差 → (100+80+60+0)/4 = 60
    # (80×20 + 60×30)/50 = 68
    assert east["score"] == "68" and east["score_display"] == "68.00"
    assert east["counts"]["grades"] == {"好": 6, "较好": 3, "一般": 2, "差": 2}
    assert east["groups"][0]["score"] == "80" and east["groups"][1]["hidden"]
    assert "counts" not in east["groups"][1]
    assert isinstance(east["counts"]["good_rate"], str)


def test_reconciliation_json(counted, users, api_for):
    data = api_for(users.organiser).get(f"{base(counted)}/reconciliation").json()
    assert data["issued"] == 20 and data["used_phone"] == 14 and data["ballots"] == 14
    assert data["not_returned"] == 6 and data["blank"] == 1 and data["flags"] == []


def test_export_recomputes_the_published_tally(counted, users, api_for):
    data = api_for(users.observer).get(f"{base(counted)}/export").json()
    assert len(data["rows"]) == 14 and data["comments"] == ["意见"]
    assert data["receipts"] == sorted(BallotReceipt.objects.values_list("receipt", flat=True))
    scheme = counted.campaign.scheme
    names = [g["name"] for g in scheme["voter_groups"]]
    recomputed = tally(scheme, 3, counting.rows_to_ballots(data["header"], data["rows"], names))
    assert recomputed == counting.tally_box(counted)


def test_receipts_are_sorted(counted, users, api_for):
    data = api_for(users.chair).get(f"{base(counted)}/receipts").json()
    assert data == sorted(data) and len(data) == 14
