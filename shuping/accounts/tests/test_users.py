"""User administration: only admins manage accounts and roles; every change is audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuping.accounts import actions
from shuping.accounts.models import Role, User
from shuping.audit.models import AuditEvent


@pytest.mark.parametrize("who", ["organiser", "observer", "chair", "judge", "teller", "reporter", "owner", "nobody"])
def test_only_admins_open_the_user_pages(client_for, users, who):
    c = client_for(getattr(users, who))
    assert c.get("/accounts/users/").status_code == 403
    assert c.get("/accounts/users/new/").status_code == 403
    assert c.get(f"/accounts/users/{users.reporter.pk}/").status_code == 403
    assert c.get(f"/accounts/users/{users.reporter.pk}/password/").status_code == 403


def test_admin_lists_users_with_roles(client_for, users):
    r = client_for(users.admin).get("/accounts/users/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "organiser" in body and "组织部工作人员" in body and "东城街道党工委" in body


def test_admin_creates_a_reporter_through_the_page(client_for, users, district):
    r = client_for(users.admin).post("/accounts/users/new/", {
        "username": "wang", "display_name": "王书记", "roles": ["reporter"], "unit": district.west.pk,
        "password": "Qingchuan-2026!", "is_active": "on",
    })
    assert r.status_code == 302
    wang = User.objects.get(username="wang")
    assert wang.role_set == {"reporter"} and wang.unit == district.west
    ev = AuditEvent.objects.get(action="user.create")
    assert ev.actor == "admin" and ev.data["roles"] == ["reporter"]


def test_a_reporter_needs_a_unit(users):
    with pytest.raises(ValidationError, match="必须指定所属单位"):
        actions.create_user(users.admin, "x1", "", "Qingchuan-2026!", [Role.REPORTER])


def test_weak_passwords_are_refused(users):
    with pytest.raises(ValidationError):
        actions.create_user(users.admin, "x2", "", "12345678", [Role.JUDGE])


def test_non_admin_cannot_create_users_through_the_action(users):
    with pytest.raises(PermissionDenied):
        actions.create_user(users.organiser, "x3", "", "Qingchuan-2026!", [Role.ADMIN])


def test_update_changes_roles_and_is_audited(users):
    actions.update_user(users.admin, users.judge, "评委甲", [Role.JUDGE, Role.CHAIR], None, True)
    assert User.objects.get(pk=users.judge.pk).role_set == {"judge", "chair"}
    ev = AuditEvent.objects.get(action="user.update")
    assert ev.data["before"]["roles"] == ["judge"] and ev.data["after"]["roles"] == ["chair", "judge"]


def test_admin_cannot_lock_themselves_out(users):
    with pytest.raises(ValidationError):
        actions.update_user(users.admin, users.admin, "", [Role.OBSERVER], None, True)


def test_deactivated_users_cannot_log_in(client, users):
    actions.update_user(users.admin, users.judge, "", [Role.JUDGE], None, False)
    r = client.post("/login/", {"username": "judge", "password": "Shuping-test-2026"})
    assert r.status_code == 401
