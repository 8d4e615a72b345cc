"""整改台账 fixtures, built through the real actions (L2's tests may reuse them).

- `media` (autouse): evidence files go to a throwaway MEDIA_ROOT.
- `campaign`: a published 2025 campaign (east, west on site; 教育局 in writing).
- `organiser2`: a second 组织部 user, the verifier of closures the first one did not request.
- `entry` (东城街道, open, deadline 2026-06-30) and `west_entry` (西城街道), created by `organiser`.
- `files`: good and bad evidence bytes (`files.pdf`, `files.png`, `files.jpeg`, `files.docx`, `files.xlsx`,
  `files.txt`, `files.docm` (macro-enabled), `files.exe`), and `files.upload(name, data)` → SimpleUploadedFile.
- `api_for(user)`: a client speaking to /api/ with the user's bearer token.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.accounts.models import Role, User
from shuping.campaigns import actions as campaign_actions
from shuping.campaigns.models import Campaign, ParticipantMode
from shuping.conftest import make_user
from shuping.rectification import actions
from shuping.rectification.models import LedgerEntry, Source

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO = "application/vnd.ms-word.document.macroEnabled.main+xml"
SHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def office_zip(main_part: str, main_type: str, vba: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                   f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>')
        z.writestr(main_part, "<document/>")
        if vba:
            z.writestr("word/vbaProject.bin", b"\x00macro")
    return buf.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def campaign(users, district) -> Campaign:
    c = campaign_actions.create_campaign(users.organiser, year=2025, title="2025年度党（工）委书记抓基层党建工作述职评议",
                                         committee=district.root, meeting_date=datetime.date(2026, 1, 20))
    campaign_actions.add_participant(users.organiser, c, district.east)
    campaign_actions.add_participant(users.organiser, c, district.west)
    campaign_actions.add_participant(users.organiser, c, district.edu, mode=ParticipantMode.WRITTEN)
    return campaign_actions.transition(users.organiser, c, "published")


@pytest.fixture
def organiser2(district) -> User:
    return make_user("organiser2", Role.ORGANISER, display_name="组织部小李")


@pytest.fixture
def entry(users, district, campaign) -> LedgerEntry:
    return actions.create_entry(
        users.organiser, unit=district.east, campaign=campaign, problem="基层党组织书记培训覆盖面不足",
        category="workforce", source=Source.INSPECTION, source_ref="2025年第二季度党建督查",
        measures="分批轮训社区书记", responsible=district.east.secretary, deadline=datetime.date(2026, 6, 30),
        target="年内轮训全覆盖")


@pytest.fixture
def west_entry(users, district, campaign) -> LedgerEntry:
    return actions.create_entry(
        users.organiser, unit=district.west, campaign=campaign, problem="党员活动阵地利用率不高",
        category="resources", source=Source.SELF_REVIEW, measures="制定阵地开放制度", responsible_name="周主任",
        deadline=datetime.date(2026, 3, 31), target="每周开放不少于五天")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


@pytest.fixture
def files() -> SimpleNamespace:
    def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, data, content_type=content_type)

    return SimpleNamespace(
        pdf=PDF, png=PNG, jpeg=JPEG, txt="整改进展说明：已完成第一批轮训。\n".encode(),
        docx=office_zip("word/document.xml", WORD_MAIN),
        xlsx=office_zip("xl/workbook.xml", SHEET_MAIN),
        docm=office_zip("word/document.xml", WORD_MACRO, vba=True),
        docx_with_vba=office_zip("word/document.xml", WORD_MAIN, vba=True),
        exe=b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,
        upload=upload,
    )


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make
