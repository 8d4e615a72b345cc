"""The JSON API (django-ninja) with OpenAPI docs at /api/docs. Bearer-token auth.

Endpoints call the same action functions as the pages, and the same access helper.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, NinjaAPI, Schema
from ninja.security import HttpBearer

from shuping.accounts.models import ApiToken, hash_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        tok = ApiToken.objects.select_related("user").filter(key_hash=hash_token(token), revoked=False).first()
        if tok is None or not tok.user.is_active:
            return None
        ApiToken.objects.filter(pk=tok.pk).update(last_used_at=timezone.now())
        request.user = tok.user
        return tok.user


api = NinjaAPI(
    title="述评 Shuping API",
    version="1",
    description="单位、人员、考核方案与述职对象。认证：请求头 Authorization: Bearer <令牌>（在“API 令牌”页面生成）。",
    auth=TokenAuth(),
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "无权执行此操作"}, status=403)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "不存在"}, status=404)


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": "数据不合规", "errors": exc.messages}, status=422)


def _add_routers() -> None:
    from shuping.ballots.api import router as ballots_router
    from shuping.campaigns.api import router as campaigns_router
    from shuping.exports.api import router as exports_router
    from shuping.meetings.api import router as meetings_router
    from shuping.orgs.api import router as orgs_router
    from shuping.rectification.api import router as ledger_router
    from shuping.reports.api import router as reports_router
    from shuping.results.api import router as results_router
    from shuping.scoring.api import router as scoring_router
    from shuping.speeches.api import router as speeches_router

    api.add_router("/", orgs_router)
    api.add_router("/", campaigns_router)
    api.add_router("/", ballots_router)
    api.add_router("/", scoring_router)
    api.add_router("/", results_router)
    api.add_router("/", meetings_router)
    api.add_router("/", reports_router)
    api.add_router("/", ledger_router)
    api.add_router("/", speeches_router)
    api.add_router("/", exports_router)



class MeOut(Schema):
    username: str = Field(description="用户名")
    display_name: str = Field(description="姓名")
    roles: list[str] = Field(description="角色代码：organiser, chair, judge, reporter, owner, teller, observer, admin")
    unit_code: str | None = Field(description="所属单位代码（述职人、整改责任人）")


@api.get("/me", response=MeOut, tags=["账号"], summary="当前令牌对应的用户")
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(user.role_set),
        "unit_code": user.unit.code if user.unit_id else None,
    }


_add_routers()
