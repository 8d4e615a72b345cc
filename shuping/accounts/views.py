"""Login/logout, user administration and API tokens. Thin: forms in, actions called, page out."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shuping.accounts import actions
from shuping.accounts.access import USER_MANAGERS, roles_required
from shuping.accounts.forms import LoginForm, PasswordForm, TokenForm, UserForm
from shuping.accounts.models import ApiToken, LoginThrottle, User


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.attempt_login(request, form.cleaned_data["username"], form.cleaned_data["password"])
        except actions.LoginLocked as e:
            error = str(e)
        else:
            if user is None:
                error = "用户名或密码错误"
            else:
                login(request, user)
                nxt = request.GET.get("next", "")
                if url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
                    return redirect(nxt)
                return redirect("dashboard")
    return render(request, "accounts/login.html", {"form": form, "error": error}, status=401 if error else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@roles_required(*USER_MANAGERS)
def users(request: HttpRequest) -> HttpResponse:
    qs = User.objects.select_related("unit").prefetch_related("roles").order_by("username")
    locked = LoginThrottle.objects.exclude(locked_until=None).values_list("username", flat=True)
    return render(request, "accounts/users.html", {"users": qs, "locked": set(locked)})


@roles_required(*USER_MANAGERS)
def user_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor: Any = request.user
    user = get_object_or_404(User, pk=pk) if pk else None
    initial = {}
    if user:
        initial = {"username": user.username, "display_name": user.display_name, "roles": list(user.role_set),
                   "unit": user.unit, "is_active": user.is_active}
    form = UserForm(request.POST or None, initial=initial)
    if user:
        form.fields["username"].disabled = True
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if user is None:
                user = actions.create_user(actor, d["username"], d["display_name"], d["password"], d["roles"], d["unit"])
                messages.success(request, f"已创建用户 {user.username}")
            else:
                actions.update_user(actor, user, d["display_name"], d["roles"], d["unit"], d["is_active"])
                messages.success(request, f"已保存用户 {user.username}")
            return redirect("accounts:users")
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
    return render(request, "accounts/user_form.html", {"form": form, "edited": user})


@roles_required(*USER_MANAGERS)
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_password(request.user, user, form.cleaned_data["password"])  # type: ignore[arg-type]
            messages.success(request, f"已重置 {user.username} 的密码")
            return redirect("accounts:users")
        except ValidationError as e:
            for m in e.messages:
                form.add_error("password", m)
    return render(request, "accounts/password_form.html", {"form": form, "edited": user})


@require_POST
@roles_required(*USER_MANAGERS)
def unlock(request: HttpRequest) -> HttpResponse:
    actions.unlock_login(request.user, request.POST.get("username", ""))  # type: ignore[arg-type]
    messages.success(request, "已解除锁定")
    return redirect("accounts:users")


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    form = TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        _, raw = actions.create_token(actor, form.cleaned_data["name"])
        form = TokenForm()
    mine = ApiToken.objects.filter(user=actor).order_by("-created_at")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": mine, "raw": raw})


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    actions.revoke_token(request.user, token)  # type: ignore[arg-type]
    messages.success(request, f"已吊销令牌 {token.name}")
    return redirect("accounts:tokens")
