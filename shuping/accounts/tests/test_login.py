"""Login is safe: lockout after repeated failures, argon2 in production, CSRF, secure cookies."""

import pytest
from django.test import Client, override_settings

from shuping.accounts.models import LoginThrottle
from shuping.audit.models import AuditEvent
from shuping.conftest import PASSWORD


def login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_it_logs_in_and_redirects_to_dashboard(client, users):
    r = login(client, "organiser", PASSWORD)
    assert r.status_code == 302 and r["Location"] == "/"
    assert AuditEvent.objects.filter(action="auth.login", actor="organiser").exists()


def test_it_rejects_a_wrong_password_in_chinese(client, users):
    r = login(client, "organiser", "wrong-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.content.decode()


def test_it_locks_after_five_failures_even_with_the_right_password(client, users):
    for _ in range(5):
        login(client, "organiser", "wrong-password")
    r = login(client, "organiser", PASSWORD)
    assert r.status_code == 401
    assert "已锁定" in r.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.locked").count() == 1


def test_it_locks_unknown_usernames_too(client, db):
    for _ in range(5):
        login(client, "ghost", "x")
    assert LoginThrottle.objects.get(username="ghost").locked_until is not None


def test_admin_can_unlock(client_for, users, client):
    for _ in range(5):
        login(client, "organiser", "wrong-password")
    r = client_for(users.admin).post("/accounts/users/unlock/", {"username": "organiser"})
    assert r.status_code == 302
    assert login(Client(), "organiser", PASSWORD).status_code == 302


def test_organiser_cannot_unlock(client_for, users):
    r = client_for(users.organiser).post("/accounts/users/unlock/", {"username": "reporter"})
    assert r.status_code == 403


def test_a_success_resets_the_failure_count(client, users):
    for _ in range(4):
        login(client, "organiser", "wrong-password")
    assert login(client, "organiser", PASSWORD).status_code == 302
    assert LoginThrottle.objects.get(username="organiser").failures == 0


def test_it_does_not_redirect_to_other_hosts(client, users):
    r = client.post("/login/?next=https://evil.example/", {"username": "organiser", "password": PASSWORD})
    assert r["Location"] == "/"


def test_login_form_requires_csrf(users):
    c = Client(enforce_csrf_checks=True)
    r = login(c, "organiser", PASSWORD)
    assert r.status_code == 403


def test_logout_needs_post(client_for, users):
    c = client_for(users.organiser)
    assert c.get("/logout/").status_code == 405
    assert c.post("/logout/").status_code == 302
    assert c.get("/").status_code == 302


def test_production_settings_hash_with_argon2_and_harden_cookies():
    import shuping.settings as prod

    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert prod.SESSION_COOKIE_HTTPONLY and prod.CSRF_COOKIE_HTTPONLY
    assert prod.SESSION_COOKIE_SAMESITE == "Lax"


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
def test_passwords_are_stored_as_argon2(users):
    users.organiser.set_password("another-good-pass-1")
    users.organiser.save()
    users.organiser.refresh_from_db()
    assert users.organiser.password.startswith("argon2")


@pytest.mark.parametrize("path", ["/", "/orgs/", "/campaigns/", "/audit/", "/accounts/users/", "/accounts/tokens/"])
def test_pages_need_login(client, db, path):
    r = client.get(path)
    assert r.status_code == 302 and r["Location"].startswith("/login/")
