"""Optional polishing of a draft by an OpenAI-compatible chat endpoint on the intranet.

Off unless settings.SHUPING_LLM_BASE_URL is set; with it off nothing here opens a connection. The request is
`POST {base}/chat/completions` with {"model", "messages", "temperature"}; the answer's
choices[0].message.content is the polished text. Any failure (timeout, refused connection, HTTP error, a
reply of the wrong shape) raises `PolishError` with a Chinese message; callers keep the draft as it was.
Standard library only (urllib): no client package to vendor for an intranet install.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings

SYSTEM_PROMPT = (
    "你是党政机关文稿的编辑。请润色用户给出的点评草稿：语句更通顺、简洁、规范，符合党建工作点评的文风。"
    "不得增加、删除或改动任何事实、数字、日期、单位名称和人名，不得编造新的成绩或问题；"
    "保留“一、亮点”“二、问题”“三、建议”的结构。只输出润色后的正文。"
)
MAX_REPLY = 20_000


class PolishError(Exception):
    """The endpoint could not polish the text; the message says why, in Chinese."""


def enabled() -> bool:
    return bool(settings.SHUPING_LLM_BASE_URL)


def request_body(text: str) -> dict:
    return {"model": settings.SHUPING_LLM_MODEL,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}],
            "temperature": 0.3}


def parse_reply(data: object) -> str:
    try:
        content = data["choices"][0]["message"]["content"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        raise PolishError("润色服务的回复格式无法识别，草稿未改动") from None
    if not isinstance(content, str) or not content.strip():
        raise PolishError("润色服务没有返回内容，草稿未改动")
    return content.strip()[:MAX_REPLY]


def polish(text: str) -> str:
    if not enabled():
        raise PolishError("未配置润色服务（SHUPING_LLM_BASE_URL）")
    url = settings.SHUPING_LLM_BASE_URL + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    if settings.SHUPING_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.SHUPING_LLM_API_KEY}"
    req = urllib.request.Request(url, data=json.dumps(request_body(text)).encode(), headers=headers, method="POST")
    timeout = settings.SHUPING_LLM_TIMEOUT
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        raise PolishError(f"润色服务返回错误（HTTP {e.code}），草稿未改动") from None
    except TimeoutError:
        raise PolishError(f"润色服务在 {timeout} 秒内没有响应，草稿未改动") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, TimeoutError):
            raise PolishError(f"润色服务在 {timeout} 秒内没有响应，草稿未改动") from None
        raise PolishError(f"无法连接润色服务（{reason}），草稿未改动") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PolishError("润色服务的回复不是有效的 JSON，草稿未改动") from None
    return parse_reply(data)
