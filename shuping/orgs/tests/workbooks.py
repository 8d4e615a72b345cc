"""Build roster workbooks in memory for the tests."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from shuping.orgs.roster_rules import PERSON_HEADERS, UNIT_HEADERS


def unit_row(code: str, name: str = "", parent: str = "", secretary: str = "书记甲", type: str = "党工委",
             category: str = "街道", order: Any = 1, short: str = "", position: str = "书记", phone: str = "") -> list[Any]:
    return [code, name or f"{code}党工委", short, type, category, parent, secretary, position, phone, order]


def xlsx(units: list[list[Any]], people: list[list[Any]] | None = None, unit_headers: list[str] | None = None,
         person_headers: list[str] | None = None, sheets: tuple[str, ...] = ("单位", "人员")) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    if "单位" in sheets:
        ws = wb.create_sheet("单位")
        ws.append(unit_headers or UNIT_HEADERS)
        for r in units:
            ws.append(r)
    if "人员" in sheets:
        ws = wb.create_sheet("人员")
        ws.append(person_headers or PERSON_HEADERS)
        for r in people or []:
            ws.append(r)
    if not wb.sheetnames:
        wb.create_sheet("Sheet1")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
