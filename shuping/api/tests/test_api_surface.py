"""The API as a whole: its OpenAPI document, and that every operation but the voter's cast needs a token.

Each app's own API tests (e.g. ballots/tests/test_api_*.py) check who may call what; this file walks the
published schema so an endpoint added without authentication cannot slip through.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shuping.accounts.actions import create_token

# Voters have no account: the token in the body is their credential (ballots/api_vote.py).
PUBLIC = {("post", "/api/ballots/cast")}


def operations(client: Client) -> list[tuple[str, str]]:
    schema = client.get("/api/openapi.json").json()
    return [(method, path) for path, item in schema["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")]


def test_the_openapi_document_describes_the_api_in_chinese(db, client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["info"]["title"] == "述评 Shuping API"
    summaries = {op["summary"] for item in schema["paths"].values() for op in item.values() if "summary" in op}
    assert any("封存纸质票" in s for s in summaries) and "封箱" in summaries
    assert client.get("/api/docs").status_code == 200


def test_every_operation_but_the_cast_refuses_a_request_without_a_token(db, client):
    ops = operations(client)
    assert len(ops) > 50
    for method, path in ops:
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = (client.get(url) if method == "get"
             else getattr(client, method)(url, data="{}", content_type="application/json"))
        if (method, path) in PUBLIC:
            assert r.status_code != 401, (method, path)
        else:
            assert r.status_code == 401, (method, path, r.status_code)


@pytest.mark.parametrize("header", ["Bearer sp_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_a_wrong_or_revoked_token_is_refused(users, client, header):
    assert client.get("/api/me", headers={"Authorization": header}).status_code == 401


def test_a_revoked_token_no_longer_works(users, client):
    from shuping.accounts.models import ApiToken

    token, raw = create_token(users.organiser, "对接")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
