"""JSON API of speeches. POST /api/speeches/parse reads a text into structure (reading.py, the same reader as
`shuping speech parse`); the other speech routers are added to `router` below.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema

from shuping.accounts.access import SPEECH_EDITORS, check_roles
from shuping.speeches import reading
from shuping.speeches.api_drafts import router as drafts_router
from shuping.speeches.api_similarity import router as similarity_router

router = Router()
router.add_router("/", similarity_router)
router.add_router("/", drafts_router)

MAX_UPLOAD = 5 * 1024 * 1024  # bytes of an uploaded .txt/.docx
MAX_TEXT = 200_000  # characters of a text to read


class ItemOut(Schema):
    marker: str = Field(description="序号，如 一是、1.、第一，、（一）、一、、比如；从“存在……等问题”拆出的条目为空")
    lead: str = Field(description="条目的引领句（序号后第一个分句，或小标题）")
    text: str = Field(description="条目全文（不含序号），等于原文[start:end]")
    category: str | None = Field(description="问题类别代码（仅问题条目；不确定时为 null）")
    start: int = Field(description="条目在解码后全文中的起始字符位置（含）")
    end: int = Field(description="结束字符位置（不含）")
    marker_start: int = Field(description="序号的起始字符位置（序号为 原文[marker_start:start] 的开头）")
    confidence: float = Field(description="把握程度 0–1；低于 0.6 的条目请先核对")
    reason: str = Field(description="为什么读成这一条（序号、不带序号的段落、“存在……等问题”中的一项……）")
    category_reason: str = Field(description="类别的依据（命中的关键词），或为什么没有归类（无关键词、并列、只有弱提示）")
    children: list[ItemOut] = Field(description="条目内的下级列举（如 一是 之下的 1. 2.）")


class PartOut(Schema):
    kind: str = Field(description="opening 开头 / achievements 成绩 / problems 问题 / requirements 要求建议 / closing 结尾")
    start: int
    end: int
    confidence: float = Field(description="把握程度 0–1：这一部分从这里开始，与次好的读法相比有多确定")
    reason: str = Field(description="决定这一部分从这里开始的依据（引领句、小标题、条目读作什么）")
    items: list[ItemOut]


class ReadingOut(Schema):
    parts: list[PartOut]


ItemOut.model_rebuild()

PARSE_BODY = {"requestBody": {"content": {
    "application/json": {"schema": {"type": "object", "required": ["text"],
                                    "properties": {"text": {"type": "string", "description": "讲话/点评全文"}}}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": ".txt（UTF-8 或 GBK）或 .docx"}}}},
}}}


@router.post("/speeches/parse", response=ReadingOut, tags=["讲话与点评·读取"], openapi_extra=PARSE_BODY,
             summary="把讲话、点评或述职报告的存在问题读成结构：各部分、列举条目及其在原文中的位置")
def parse(request: HttpRequest) -> dict[str, Any]:
    check_roles(request.user, *SPEECH_EDITORS)  # type: ignore[arg-type]
    upload = request.FILES.get("file")
    if upload is not None:
        if (upload.size or 0) > MAX_UPLOAD:
            raise ValidationError(f"文件 {upload.name} 超过 {MAX_UPLOAD // 1024 // 1024} MB，无法读取")
        try:
            text = reading.decode(upload.read(), upload.name or "")
        except ValueError as e:
            raise ValidationError(str(e)) from None
    else:
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("请求内容不是有效的 JSON：请发送 {\"text\": \"…\"}，或以 multipart 上传文件（字段名 file）") from None
        given = body.get("text") if isinstance(body, dict) else None
        if not isinstance(given, str) or not given.strip():
            raise ValidationError("请提供要读取的文本（text），或以 multipart 上传文件（字段名 file）")
        text = given
    if len(text) > MAX_TEXT:
        raise ValidationError(f"文本过长（{len(text)} 字），最多 {MAX_TEXT} 字")
    return reading.read(text).as_json()
