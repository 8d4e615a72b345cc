"""Browser test: the organiser downloads a report as Word and the 汇编 as PDF from the export page.

Screenshot: artifacts/screenshots/reports-exports.png (look at it after changing the page).
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from django.conf import settings
from django.test import Client

from shuping.reports import actions
from shuping.reports.models import Report

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


def logged_in(browser, live_server, user):
    client = Client()
    client.force_login(user)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", accept_downloads=True)
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": live_server.url}])
    return ctx


def test_organiser_downloads_word_and_bound_pdf(browser, live_server, users, campaign, district, report, fill):
    fill(report)
    report.refresh_from_db()
    actions.sign(users.reporter, report, "钱东明")
    actions.submit(users.reporter, report)
    Report.objects.create(participant=campaign.participants.get(unit=district.edu), sections={"performance": "草稿。"})

    ctx = logged_in(browser, live_server, users.organiser)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/reports/campaign/{campaign.pk}/exports/")
    assert page.get_by_test_id("n-bound").inner_text() == "1"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reports-exports.png"), full_page=True)

    east = campaign.participants.get(unit=district.east)
    with page.expect_download() as info:
        page.get_by_test_id(f"docx-{east.pk}").click()
    download = info.value
    assert download.suggested_filename.endswith("东城街道党工委-钱东明.docx")
    document = docx.Document(io.BytesIO(Path(download.path()).read_bytes()))
    assert document.paragraphs[0].text == "钱东明同志抓基层党建工作述职报告"

    with page.expect_download() as info:
        page.get_by_test_id("download-bound").click()
    assert info.value.suggested_filename == f"{campaign.year}年度述职报告汇编.pdf"
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
    ctx.close()
