"""Build 日常考核 workbooks in memory, and the campaign the routine tests import into."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from typing import Any

from django.test import Client
from openpyxl import Workbook

from shuping.accounts.actions import create_token
from shuping.accounts.models import User
from shuping.campaigns import actions
from shuping.campaigns.models import Campaign, ParticipantMode
from shuping.scoring.routine_rules import HEADERS, SHEET


def row(code: str, score: Any, name: str = "", secretary: str = "") -> list[Any]:
    return [code, name, secretary, score]


def xlsx(rows: list[list[Any]], headers: list[str] | None = None, sheet: str = SHEET,
         before_header: list[list[Any]] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r in before_header or []:
        ws.append(r)
    ws.append(headers or HEADERS)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def with_cached_values(data: bytes, values: dict[str, str]) -> bytes:
    """Give formula cells (by reference, e.g. "D2") the cached result Excel would have saved."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = content.decode()
                for ref, v in values.items():
                    xml = re.sub(rf'(<c r="{ref}"[^>]*><f>[^<]*</f>)<v\s*/?>(</v>)?', rf"\g<1><v>{v}</v>", xml)
                content = xml.encode()
            dst.writestr(item, content)
    return out.getvalue()


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    """The same archive plus one more member (e.g. xl/vbaProject.bin, a macro project)."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr(name, content)
    return out.getvalue()


def published_campaign(users: Any, district: Any) -> Campaign:
    """A published 2025 campaign: east and west on site, 教育局 in writing (units Q01, Q02, Q11)."""
    c = actions.create_campaign(users.organiser, year=2025, title="2025年度党（工）委书记抓基层党建工作述职评议",
                                committee=district.root, meeting_date=datetime.date(2026, 1, 20))
    actions.add_participant(users.organiser, c, district.east)
    actions.add_participant(users.organiser, c, district.west)
    actions.add_participant(users.organiser, c, district.edu, mode=ParticipantMode.WRITTEN)
    return actions.transition(users.organiser, c, "published")


def api_client(user: User) -> Client:
    """A client that speaks to /api/ with the user's bearer token."""
    _, raw = create_token(user, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})
