"""Casting a ballot through the API: `POST /api/ballots/cast`, authenticated by the ballot token itself.

Voters have no accounts, so the endpoint has auth=None; the token (QR secret or short code) in the body is
the credential. The body is parsed here rather than by ninja so that malformed JSON gets a 422 with a
clear message (and so the hot path stays short: one token query, then the claim and the insert).
"""

from __future__ import annotations

from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema

from shuping.ballots.actions import voting
from shuping.ballots.casting import TokenRefused

router = Router(tags=["民主测评"])

STATUS_FOR_REASON = {TokenRefused.UNKNOWN: 404, voting.TooManyGuesses.reason: 429}
MAX_BODY_BYTES = 256 * 1024


class CastIn(Schema):
    token: str = Field(max_length=64, description="测评码：二维码中的令牌，或票面上的 8 位测评码")
    grades: dict[str, str] | str = Field(
        description="每名述职人的评价：{述职对象ID: \"好\"|\"较好\"|\"一般\"|\"差\"|\"弃权\"}（未列出的按弃权计），"
                    "或按票面顺序每人一位的字符串（1 好 2 较好 3 一般 4 差 0 弃权）")
    item_grades: dict[str, dict[str, str] | list[str]] | str | None = Field(
        default=None, description="分项评价（可选）：{述职对象ID: {分项名称: 评价}}，或字符串")
    comment: str = Field(default="", max_length=20000, description="意见建议（可选，字数上限见票箱设置）")
    nonce: str = Field(min_length=1, max_length=voting.MAX_NONCE_LENGTH,
                       description="一次性提交码（客户端随机生成）：网络中断后用同一提交码重试是安全的，会返回同一回执码")


class CastOut(Schema):
    receipt: str = Field(description="回执码")
    already_counted: bool = Field(description="true：此前已用同一提交码成功提交，本次未重复计票")
    message: str


class RefusedOut(Schema):
    detail: str
    reason: str


class InvalidOut(Schema):
    detail: str
    errors: list[str]


def _json(data: dict[str, Any], status: int) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    # Django logs every 4xx with its path and the time ("Conflict: /api/…"); a refused ballot is nobody's
    # business in a log file, so mark it as logged already.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _invalid(errors: list[str]) -> JsonResponse:
    return _json({"detail": "数据不合规", "errors": errors}, 422)


def _parse(body: bytes) -> CastIn:
    if len(body) > MAX_BODY_BYTES:
        raise ValidationError("请求内容过大")
    if not body.lstrip().startswith(b"{"):
        raise ValidationError("请求体应为 JSON 对象，例如 {\"token\": …, \"grades\": …, \"nonce\": …}")
    try:
        return CastIn.model_validate_json(body)
    except pydantic.ValidationError as e:
        messages = []
        for err in e.errors()[:10]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            if err.get("type") == "json_invalid":
                messages.append("请求体不是合法的 JSON")
            elif err.get("type") == "missing":
                messages.append(f"缺少字段 {where}")
            else:
                messages.append(f"字段 {where or '请求体'} 有误：{err.get('msg', '')}")
        raise ValidationError(messages or ["请求体有误"]) from None


@router.post(
    "/ballots/cast",
    auth=None,
    summary="投票（用测评码，无需账号）",
    response={200: CastOut, 404: RefusedOut, 409: RefusedOut, 422: InvalidOut, 429: RefusedOut},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": CastIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}},
)
def cast(request: HttpRequest) -> Any:
    try:
        data = _parse(request.body)
    except ValidationError as e:
        return _invalid(e.messages)
    try:
        raw = data.token.strip()
        if len(raw) > 12:
            token = voting.find_token(secret=raw, with_campaign=False)
        else:
            token = voting.find_token(code=raw, client_key=voting.client_key(request.META.get("REMOTE_ADDR", "")),
                                      with_campaign=False)
        layout = voting.layout_of(token.box)
        grades = data.grades if isinstance(data.grades, str) else voting.grades_from_mapping(layout, data.grades)
        item_grades = data.item_grades or ""
        if not isinstance(item_grades, str):
            item_grades = voting.item_grades_from_mapping(layout, item_grades)
        result = voting.submit(token, grades, item_grades, data.comment, data.nonce, layout=layout)
    except (TokenRefused, voting.TooManyGuesses) as e:
        return _json({"detail": e.message, "reason": e.reason}, STATUS_FOR_REASON.get(e.reason, 409))
    except ValidationError as e:
        return _invalid(e.messages)
    message = "您的选票此前已成功提交并计入" if result.already_counted else "已提交"
    return {"receipt": result.receipt, "already_counted": result.already_counted, "message": message}
