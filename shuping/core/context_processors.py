"""The navigation bar: which sections the signed-in user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from shuping.accounts import access
from shuping.accounts.models import Role


def nav(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    if not user.is_authenticated:
        return {}
    items = [(reverse("dashboard"), "工作台")]
    if access.is_wide_reader(user):
        items.append((reverse("orgs:tree"), "组织架构"))
    elif user.unit_id:
        items.append((reverse("orgs:unit", args=[user.unit_id]), "本单位"))
    items.append((reverse("campaigns:list"), "考核方案"))
    if user.has_role(*access.MEETING_READERS):
        items.append((reverse("meetings:home"), "述职评议会"))
    if user.has_role(*access.SCORERS, *access.SCORING_MANAGERS):
        items.append((reverse("scoring:judging_home"), "现场评分"))
    if user.has_role(Role.TELLER):
        items.append((reverse("ballots:paper_home"), "纸质票录入"))
    if user.has_role(*access.BALLOT_RESULT_READERS):
        items.append((reverse("ballots:results_home"), "测评结果"))
    if user.has_role(*access.REPORT_READERS, *access.REPORT_WRITERS):
        items.append((reverse("reports:home"), "述职报告"))
    if user.has_role(*access.LEDGER_READERS, *access.LEDGER_UNIT_ROLES):
        items.append((reverse("rectification:ledger"), "整改台账"))
    if user.has_role(*access.SPEECH_EDITORS):
        items.append((reverse("speeches:texts"), "讲话与点评"))
    if user.has_role(*access.RESULT_READERS, Role.REPORTER):
        items.append((reverse("results:home"), "考核结果"))
    if user.has_role(*access.EXPORT_READERS, *access.ANALYTICS_READERS, *access.LEDGER_READERS, Role.REPORTER,
                     Role.OWNER):
        items.append((reverse("exports:home"), "导出与分析"))
    if user.has_role(*access.USER_MANAGERS):
        items.append((reverse("accounts:users"), "用户与角色"))
    if user.has_role(*access.AUDIT_READERS):
        items.append((reverse("audit:log"), "审计日志"))
    items.append((reverse("accounts:tokens"), "API 令牌"))
    path = request.path
    home = reverse("dashboard")
    return {
        "nav_items": [
            (href, label, path == href or (href != home and path.startswith(href))) for href, label in items
        ]
    }
