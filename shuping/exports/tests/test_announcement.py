"""通报 and 反馈意见书 read back with python-docx: title, 文号, grade bands with the right names, signature;
each reporter's page with their components, the chair's 点评 and their ledger problems; scoping."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from docx import Document

from shuping.exports import actions, announcement_docx
from shuping.exports.tests.helpers import media, publish, read, run  # noqa: F401  (fixtures)
from shuping.meetings.models import Commentary
from shuping.rectification.models import LedgerEntry, Source
from shuping.results.tests import conftest as results_fixtures

judges = results_fixtures.judges
scored = results_fixtures.scored
pytestmark = pytest.mark.usefixtures("media")


def paragraphs(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def tables(data: bytes) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(io.BytesIO(data)).tables]


@pytest.fixture
def feedback_data(users, scored):
    Commentary.objects.create(participant=scored.east, text="东城街道党建引领基层治理有亮点。\n问题是党员教育管理不够规范。",
                              author=users.chair)
    Commentary.objects.create(participant=scored.west, text="西城街道的点评。", author=users.chair)
    LedgerEntry.objects.create(campaign=scored.campaign, unit=scored.east.unit, problem="“三会一课”记录不全",
                               category="members", source=Source.COMMENTARY, deadline=datetime.date(2026, 6, 30))
    LedgerEntry.objects.create(campaign=scored.campaign, unit=scored.west.unit, problem="西城的问题",
                               category="members", source=Source.COMMENTARY)
    return publish(users, scored)


def test_announcement_lists_units_by_grade_band(users, scored):
    sheet = publish(users, scored)
    text = paragraphs(announcement_docx.announcement(sheet))
    assert text[0] == "＿＿〔2025〕＿＿号"
    assert text[1] == "关于2025年度述职评议考核结果的通报"
    assert text[2] == "各有关单位党组织："
    assert "经区委常委会 2026 年第 3 次会议审定" in text[3] and "3名" in text[3]
    i = text.index("一、“好”等次（0名）")
    assert text[i + 1] == "无。"
    assert text[i + 2] == "二、“较好”等次（2名）"
    assert text[i + 3] == "东城街道党工委（钱东明）、西城街道党工委（孙西华）。"
    assert text[i + 4:i + 8] == ["三、“一般”等次（0名）", "无。", "四、“差”等次（1名）", "区教育局党委（李育才）。"]
    assert text[-2] == "示例区委"
    day = timezone.localdate(sheet.published_at)  # the 通报 is dated in local time, not in UTC
    assert text[-1] == f"{day.year}年{day.month}月{day.day}日"


def test_announcement_uses_the_official_fonts(users, scored):
    doc = Document(io.BytesIO(announcement_docx.announcement(publish(users, scored))))
    title = doc.paragraphs[1]
    fonts = title.runs[0]._element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "方正小标宋简体"
    assert doc.sections[0].page_width.cm == pytest.approx(21, abs=0.01)


def test_announcement_needs_a_published_result(users, scored):
    from shuping.results import actions as results

    results.compute_results(users.organiser, scored.campaign)
    with pytest.raises(ValidationError, match="尚未公布"):
        actions.request_export(users.organiser, "announcement_docx", scored.campaign)


def test_feedback_one_page_per_reporter(users, scored, feedback_data):
    data = announcement_docx.feedback(feedback_data)
    text = paragraphs(data)
    assert text.count("2025年度述职评议反馈意见书") == 3
    assert sum(1 for p in Document(io.BytesIO(data)).paragraphs for r in p.runs
               if 'w:br w:type="page"' in r._element.xml) == 2
    east = text.index("东城街道党工委钱东明同志：")
    assert "综合得分 96.89，在 3 名述职对象中列第 1 名，考核等次为“较好”。" in text[east:east + 4]
    assert "东城街道党建引领基层治理有亮点。" in text and "问题是党员教育管理不够规范。" in text
    t = tables(data)
    assert t[0][0] == ["组成部分", "得分", "采用权重"]
    assert t[0][1] == ["现场/书面评分", "94.00", "33.33%"] and t[0][4][1].startswith("—")
    assert t[1][1] == ["1", "“三会一课”记录不全", "党员教育管理", "2026年6月30日", "整改中"]
    edu = text.index("区教育局党委李育才同志：")
    assert "本次考核暂无列入整改台账的问题。" in text[edu:] and "（述职评议会上无点评记录。）" in text[edu:]


def test_a_reporter_gets_only_their_own_feedback(users, scored, feedback_data, django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, users.reporter, "feedback_docx", scored.campaign)
    assert job.state == "done" and job.unit_id == users.reporter.unit_id, job.error
    data = read(job)
    text = "\n".join(paragraphs(data)) + "\n".join(c for t in tables(data) for r in t for c in r)
    assert "东城街道党工委钱东明同志：" in text and "“三会一课”记录不全" in text
    for other in ("西城", "孙西华", "区教育局", "李育才"):
        assert other not in text, other
    assert paragraphs(data).count("2025年度述职评议反馈意见书") == 1


def test_organiser_gets_every_feedback_as_a_job(users, scored, feedback_data, django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, users.organiser, "feedback_docx", scored.campaign)
    assert job.filename.endswith(".docx") and "反馈意见书" in job.filename
    assert paragraphs(read(job)).count("2025年度述职评议反馈意见书") == 3
    announcement: Any = run(django_capture_on_commit_callbacks, users.chair, "announcement_docx", scored.campaign)
    assert "关于2025年度述职评议考核结果的通报" in paragraphs(read(announcement))
