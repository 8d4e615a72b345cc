"""Account actions: login with lockout, users and roles, API tokens. Audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from shuping.accounts.access import USER_MANAGERS, check_roles
from shuping.accounts.models import ApiToken, LoginThrottle, Role, User, UserRole, hash_token
from shuping.audit.log import record
from shuping.orgs.models import Unit


class LoginLocked(Exception):
    def __init__(self, until: Any) -> None:
        super().__init__(f"登录失败次数过多，账号已锁定至 {timezone.localtime(until):%H:%M}，请稍后再试或联系管理员")
        self.until = until


def attempt_login(request: HttpRequest | None, username: str, password: str) -> User | None:
    """Authenticate with lockout after LOGIN_MAX_FAILURES failures within the lockout window."""
    username = username.strip()
    now = timezone.now()
    window = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(username=username)
        if throttle.locked_until and throttle.locked_until > now:
            raise LoginLocked(throttle.locked_until)
        user = authenticate(request, username=username, password=password)
        if user is not None:
            throttle.failures, throttle.first_failure_at, throttle.locked_until = 0, None, None
            throttle.save()
            record(user, "auth.login", user, "登录成功")
            return user  # type: ignore[return-value]
        if throttle.first_failure_at is None or now - throttle.first_failure_at > window:
            throttle.failures, throttle.first_failure_at = 0, now
        throttle.failures += 1
        if throttle.failures >= settings.LOGIN_MAX_FAILURES:
            throttle.locked_until = now + window
            record("system", "auth.locked", None, f"用户名“{username}”连续登录失败 {throttle.failures} 次，已锁定",
                   {"username": username})
        throttle.save()
    if throttle.locked_until:
        raise LoginLocked(throttle.locked_until)  # say so at once, not only on the next try
    return None


def unlock_login(actor: User, username: str) -> None:
    check_roles(actor, *USER_MANAGERS)
    with transaction.atomic():
        LoginThrottle.objects.filter(username=username).update(failures=0, first_failure_at=None, locked_until=None)
        record(actor, "auth.unlock", None, f"解除用户“{username}”的登录锁定", {"username": username})


def _check_roles_and_unit(roles: list[str], unit: Unit | None) -> None:
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise ValidationError(f"未知角色：{'、'.join(bad)}")
    if {Role.REPORTER, Role.OWNER} & set(roles) and unit is None:
        raise ValidationError("述职人和整改责任人必须指定所属单位")


@transaction.atomic
def create_user(
    actor: User, username: str, display_name: str, password: str, roles: list[str], unit: Unit | None = None
) -> User:
    check_roles(actor, *USER_MANAGERS)
    username = username.strip()
    if not username:
        raise ValidationError("用户名不能为空")
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"用户名“{username}”已存在")
    _check_roles_and_unit(roles, unit)
    user = User(username=username, display_name=display_name.strip(), unit=unit)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
    record(actor, "user.create", user, f"创建用户“{username}”", {"roles": sorted(roles), "unit": unit.code if unit else None})
    return user


@transaction.atomic
def update_user(
    actor: User, user: User, display_name: str, roles: list[str], unit: Unit | None, is_active: bool
) -> User:
    check_roles(actor, *USER_MANAGERS)
    _check_roles_and_unit(roles, unit)
    if user.pk == actor.pk and (Role.ADMIN not in roles or not is_active):
        raise ValidationError("不能取消自己的系统管理员角色或停用自己的账号")
    before = {"roles": sorted(user.role_set), "unit": user.unit.code if user.unit else None, "active": user.is_active}
    user.display_name, user.unit, user.is_active = display_name.strip(), unit, is_active
    user.save()
    UserRole.objects.filter(user=user).exclude(role__in=roles).delete()
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles], ignore_conflicts=True)
    user.__dict__.pop("role_set", None)
    after = {"roles": sorted(roles), "unit": unit.code if unit else None, "active": is_active}
    record(actor, "user.update", user, f"修改用户“{user.username}”", {"before": before, "after": after})
    return user


@transaction.atomic
def set_password(actor: User, user: User, password: str) -> None:
    if actor.pk != user.pk:
        check_roles(actor, *USER_MANAGERS)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor, "user.password", user, f"重置用户“{user.username}”的密码")


@transaction.atomic
def create_token(actor: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the actor; returns it with its raw value, which is never stored."""
    name = name.strip() or "API"
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(user=actor, name=name, prefix=raw[:8], key_hash=hash_token(raw))
    record(actor, "token.create", token, f"生成 API 令牌“{name}”")
    return token, raw


@transaction.atomic
def revoke_token(actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        check_roles(actor, *USER_MANAGERS)
    token.revoked = True
    token.save(update_fields=["revoked"])
    record(actor, "token.revoke", token, f"吊销 API 令牌“{token.name}”")
