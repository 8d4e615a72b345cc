"""API tokens: created and revoked by their owner, stored hashed, accepted as Bearer tokens."""

from shuping.accounts import actions
from shuping.accounts.models import ApiToken, hash_token


def test_a_user_creates_a_token_and_sees_it_once(client_for, users):
    c = client_for(users.organiser)
    r = c.post("/accounts/tokens/", {"name": "人事系统对接"})
    body = r.content.decode()
    assert "只显示这一次" in body
    tok = ApiToken.objects.get(user=users.organiser)
    raw = body.split('<div class="mono">')[1].split("</div>")[0]
    assert tok.key_hash == hash_token(raw) and raw not in tok.key_hash
    assert "只显示这一次" not in c.get("/accounts/tokens/").content.decode()


def test_the_api_accepts_a_valid_token(client, users):
    _, raw = actions.create_token(users.reporter, "t")
    r = client.get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200
    assert r.json() == {"username": "reporter", "display_name": "", "roles": ["reporter"], "unit_code": "Q01"}


def test_the_api_refuses_missing_wrong_and_revoked_tokens(client, users):
    token, raw = actions.create_token(users.organiser, "t")
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer sp_nope"}).status_code == 401
    actions.revoke_token(users.organiser, token)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_the_api_refuses_tokens_of_deactivated_users(client, users):
    _, raw = actions.create_token(users.judge, "t")
    actions.update_user(users.admin, users.judge, "", ["judge"], None, False)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(client_for, users):
    token, _ = actions.create_token(users.organiser, "t")
    r = client_for(users.reporter).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert r.status_code == 404
    assert not ApiToken.objects.get(pk=token.pk).revoked


def test_api_docs_are_served_without_a_cdn(client, db):
    r = client.get("/api/docs")
    body = r.content.decode()
    assert r.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in body and "cdn" not in body.lower()
    schema = client.get("/api/openapi.json").json()
    assert "/api/me" in schema["paths"]
