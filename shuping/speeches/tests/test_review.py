"""Reviewing texts into the 整改台账 (speeches.actions): adding texts (paste, upload, 点评, 存在问题), who may do
what, confirming problems into ledger entries (fields, links back, all or nothing, once), audit events.

`review_campaign` and `SPEECH` are shared with test_review_views.py and test_browser_review.py.
"""

from __future__ import annotations

import datetime
import io
import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404

from shuping.audit.models import AuditEvent
from shuping.campaigns import actions as campaign_actions
from shuping.campaigns.models import Campaign, ParticipantMode
from shuping.conftest import race
from shuping.meetings.models import Commentary
from shuping.rectification.models import LedgerEntry, Source
from shuping.reports.models import Report, empty_sections
from shuping.speeches import actions
from shuping.speeches.actions import Problem
from shuping.speeches.models import SpeechText, TextKind

# A closing speech in the genre (written for these tests): opening, achievements, three enumerated problems,
# requirements, closing.
SPEECH = (
    "同志们：\n"
    "今天召开全区党（工）委书记抓基层党建工作述职评议会，刚才，三位同志作了述职，讲得都很好，会议达到了预期效果。\n"
    "一年来，各级党组织书记认真履行第一责任人职责，基层党建工作取得了积极成效。一是政治建设不断加强，理论学习走深走实。"
    "二是组织体系更加健全，软弱涣散党组织整顿全部完成。\n"
    "在看到成绩的同时，也要看到问题和不足。一是责任落实不够到位，有的书记抓党建精力投入不足，研究部署不多。"
    "二是党务干部队伍不够稳定，专职党务工作者流动频繁，业务能力有待提高。"
    "三是阵地和经费保障不足，部分党群服务中心利用率不高，党建经费使用不规范。\n"
    "下一步，我再提几点要求。第一，要压紧压实责任，把抓基层党建作为分内之事。第二，要建强党务队伍，落实专职党务工作者待遇。\n"
    "同志们，让我们以更加饱满的精神状态，推动全区基层党建工作再上新台阶！\n"
)


def span(text: str, words: str) -> tuple[int, int]:
    i = text.index(words)
    return i, i + len(words)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def review_campaign(users, district) -> Campaign:
    """A published 2025 campaign: east and west on site, 教育局 in writing (so the chair may see it)."""
    c = campaign_actions.create_campaign(users.organiser, year=2025, title="2025年度党（工）委书记抓基层党建工作述职评议",
                                         committee=district.root, meeting_date=datetime.date(2026, 1, 20))
    campaign_actions.add_participant(users.organiser, c, district.east)
    campaign_actions.add_participant(users.organiser, c, district.west)
    campaign_actions.add_participant(users.organiser, c, district.edu, mode=ParticipantMode.WRITTEN)
    return campaign_actions.transition(users.organiser, c, "published")


@pytest.fixture
def campaign(users, district) -> Campaign:
    return review_campaign(users, district)


@pytest.fixture
def speech(users, campaign) -> SpeechText:
    return actions.create_text(users.organiser, kind=TextKind.SPEECH, title="2025年度述职评议会总结讲话",
                               text=SPEECH, campaign=campaign)


def problems(st: SpeechText, district: SimpleNamespace) -> list[Problem]:
    a = span(st.text, "责任落实不够到位，有的书记抓党建精力投入不足，研究部署不多。")
    b = span(st.text, "党务干部队伍不够稳定，专职党务工作者流动频繁，业务能力有待提高。")
    return [Problem(text="责任落实不够到位，有的书记抓党建精力投入不足", category="responsibility",
                    unit=district.east.pk, start=a[0], end=a[1]),
            Problem(text="党务干部队伍不够稳定", category="workforce", unit=district.west.pk, start=b[0], end=b[1])]


# ---------------------------------------------------------------- adding texts


def test_organiser_and_chair_add_texts_others_may_not(users, campaign):
    st = actions.create_text(users.chair, kind=TextKind.SPEECH, title=" 总结 讲话 ", text="同志们：\r\n今天开会。",
                             campaign=campaign)
    assert st.title == "总结 讲话" and st.text == "同志们：\n今天开会。" and st.created_by == users.chair
    [e] = events("speech.create")
    assert e.actor == "chair" and "《总结 讲话》" in e.summary
    for who in (users.observer, users.judge, users.reporter, users.owner, users.admin, users.nobody):
        with pytest.raises(PermissionDenied):
            actions.create_text(who, kind=TextKind.SPEECH, title="x", text="y")
    assert SpeechText.objects.count() == 1


def test_a_text_needs_a_title_words_and_for_a_commentary_a_unit_of_the_campaign(users, campaign, district):
    with pytest.raises(ValidationError) as e:
        actions.create_text(users.organiser, kind=TextKind.COMMENTARY, title="  ", text=" \n ")
    assert e.value.messages == ["请填写标题", "请粘贴正文或上传 .txt / .docx 文件", "点评和述职报告须选择所属单位"]
    with pytest.raises(ValidationError, match="不是“2025年度"):
        actions.create_text(users.organiser, kind=TextKind.COMMENTARY, title="点评", text="很好", campaign=campaign,
                            unit=district.root)
    with pytest.raises(ValidationError, match="请选择文本类型"):
        actions.create_text(users.organiser, kind="poem", title="诗", text="床前明月光")
    assert not SpeechText.objects.exists()


def test_a_chair_cannot_use_a_draft_campaign(users, district):
    draft = campaign_actions.create_campaign(users.organiser, year=2026, title="2026年度述职评议",
                                             committee=district.root)
    with pytest.raises(Http404):
        actions.create_text(users.chair, kind=TextKind.SPEECH, title="讲话", text="同志们", campaign=draft)
    st = actions.create_text(users.organiser, kind=TextKind.SPEECH, title="讲话", text="同志们", campaign=draft)
    with pytest.raises(Http404):
        actions.get_text(users.chair, st.pk)
    assert actions.get_text(users.organiser, st.pk) == st


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def docx_bytes(*paragraphs: str) -> bytes:
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_uploads_in_utf8_gbk_and_docx_are_decoded(users):
    words = "在看到成绩的同时，也要看到问题和不足。一是责任落实不够到位。"
    assert actions.decode_upload(upload("讲话.txt", words.encode("utf-8"))).strip() == words
    assert actions.decode_upload(upload("讲话.txt", "\ufeff".encode() + words.encode("utf-8"))).strip() == words
    assert actions.decode_upload(upload("讲话.TXT", words.encode("gbk"))).strip() == words
    text = actions.decode_upload(upload("讲话.docx", docx_bytes("同志们：", words)))
    assert "同志们：" in text and words in text


def test_refused_uploads_name_the_file_and_keep_nothing(users):
    with pytest.raises(ValidationError, match=re.escape("“讲话.pdf”不是 .txt 或 .docx")):
        actions.decode_upload(upload("讲话.pdf", b"%PDF-1.4"))
    with pytest.raises(ValidationError, match=re.escape("“大.txt”超过 2 MB")):
        actions.decode_upload(upload("大.txt", "问".encode() * (700 * 1024)))
    with pytest.raises(ValidationError, match=re.escape("坏.docx 不是有效的 Word")):
        actions.decode_upload(upload("坏.docx", b"not a zip at all"))
    assert not SpeechText.objects.exists()


def test_a_commentary_is_read_for_its_unit(users, campaign, district):
    east = campaign.participants.get(unit=district.east)
    with pytest.raises(ValidationError, match="东城街道党工委尚无点评内容"):
        actions.from_commentary(users.chair, east.pk)
    Commentary.objects.create(participant=east, text="亮点突出。存在问题：党建经费保障不足。", author=users.chair)
    assert [p.unit for p in actions.commentary_sources(users.chair)] == [district.east]
    st = actions.from_commentary(users.chair, east.pk)
    assert (st.kind, st.unit, st.campaign, st.text) == (TextKind.COMMENTARY, district.east, campaign,
                                                         "亮点突出。存在问题：党建经费保障不足。")
    assert st.title == "2025年度对东城街道党工委的点评"
    with pytest.raises(PermissionDenied):
        actions.from_commentary(users.observer, east.pk)
    with pytest.raises(Http404):
        actions.from_commentary(users.chair, 999999)


def test_a_reports_problems_section_is_read_for_its_unit(users, campaign, district):
    west = campaign.participants.get(unit=district.west)
    Report.objects.create(participant=west, sections={**empty_sections(), "performance": "成效显著。"})
    with pytest.raises(ValidationError, match="“存在问题”部分为空"):
        actions.from_report(users.organiser, west.pk)
    assert actions.report_sources(users.organiser) == []
    Report.objects.filter(participant=west).update(
        sections={**empty_sections(), "problems": "一是党员教育管理不够严格。二是阵地建设滞后。"})
    assert [p.unit for p in actions.report_sources(users.organiser)] == [district.west]
    st = actions.from_report(users.organiser, west.pk)
    assert (st.kind, st.unit, st.text) == (TextKind.REPORT, district.west, "一是党员教育管理不够严格。二是阵地建设滞后。")


# ---------------------------------------------------------------- confirming


def test_confirm_makes_ledger_entries_that_link_back_to_their_span(users, speech, district, campaign):
    ps = problems(speech, district)
    entries = actions.confirm(users.organiser, speech.pk, ps)
    assert len(entries) == 2
    e1, e2 = LedgerEntry.objects.order_by("pk")
    a, b = ps[0].start + 1, ps[0].end
    assert (e1.unit, e1.campaign, e1.category, e1.source) == (district.east, campaign, "responsibility",
                                                              Source.COMMENTARY)
    assert e1.problem == "责任落实不够到位，有的书记抓党建精力投入不足"
    assert e1.source_ref == f"讲话《2025年度述职评议会总结讲话》第 {a}–{b} 字"
    assert e1.source_link == f"/speeches/{speech.pk}/#s-{a}-{b}"
    assert speech.text[a - 1:b] == "责任落实不够到位，有的书记抓党建精力投入不足，研究部署不多。"
    assert (e2.unit, e2.category) == (district.west, "workforce") and e2.created_by == users.organiser
    speech.refresh_from_db()
    assert speech.confirmed_at is not None
    assert list(actions.entries_of(speech)) == [e1, e2]
    [ev] = events("speech.confirm")
    assert "2 个问题转入整改台账" in ev.summary and "东城街道党工委、西城街道党工委" in ev.summary
    assert len(events("ledger.create")) == 2


def test_a_second_confirm_is_refused(users, speech, district):
    actions.confirm(users.organiser, speech.pk, problems(speech, district))
    with pytest.raises(ValidationError, match="已转入整改台账"):
        actions.confirm(users.organiser, speech.pk, problems(speech, district))
    assert LedgerEntry.objects.count() == 2 and len(events("speech.confirm")) == 1


def test_a_reports_own_problems_are_self_review(users, campaign, district):
    st = actions.create_text(users.organiser, kind=TextKind.REPORT, title="西城存在问题", text="一是阵地建设滞后。",
                             campaign=campaign, unit=district.west)
    actions.confirm(users.organiser, st.pk, [Problem(text="阵地建设滞后", category="resources",
                                                     unit=district.west.pk, start=2, end=9)])
    e = LedgerEntry.objects.get()
    assert e.source == Source.SELF_REVIEW and e.source_ref == "述职报告《西城存在问题》第 3–9 字"


def test_a_refused_problem_is_named_and_nothing_is_kept(users, speech, district):
    ps = problems(speech, district)
    ps[1].category = ""
    ps.append(Problem(text="", category="style", unit=district.root.pk, start=5, end=len(speech.text) + 1))
    with pytest.raises(ValidationError) as e:
        actions.confirm(users.organiser, speech.pk, ps)
    assert e.value.messages == ["第 2 条：请选择问题类别", "第 3 条：原文位置无效，请刷新页面后重试", "第 3 条：请填写问题",
                                "第 3 条：所选单位不是本考核方案的述职对象"]
    ps = problems(speech, district)
    ps[0].unit = None
    with pytest.raises(ValidationError, match="第 1 条：请选择单位"):
        actions.confirm(users.organiser, speech.pk, ps)
    ps = problems(speech, district)
    ps[1].text = "长" * 5001
    with pytest.raises(ValidationError, match="第 2 条：问题不能超过 5000 字"):
        actions.confirm(users.organiser, speech.pk, ps)
    with pytest.raises(ValidationError, match="没有要转入整改台账的问题"):
        actions.confirm(users.organiser, speech.pk, [])
    speech.refresh_from_db()
    assert speech.confirmed_at is None and not LedgerEntry.objects.exists() and not events("speech.confirm")


def test_the_chair_reviews_but_the_organiser_confirms(users, speech, district):
    with pytest.raises(PermissionDenied, match="须由组织部确认"):
        actions.confirm(users.chair, speech.pk, problems(speech, district))
    for who in (users.observer, users.judge, users.reporter, users.nobody):
        with pytest.raises(PermissionDenied):
            actions.confirm(who, speech.pk, problems(speech, district))
    assert not LedgerEntry.objects.exists()


def test_a_text_outside_any_campaign_may_go_to_any_unit(users, district):
    st = actions.create_text(users.organiser, kind=TextKind.SPEECH, title="务虚会讲话", text="一是作风不实。")
    assert district.root in actions.unit_choices(st)
    actions.confirm(users.organiser, st.pk, [Problem(text="作风不实", category="style", unit=district.root.pk,
                                                     start=2, end=7)])
    e = LedgerEntry.objects.get()
    assert e.campaign is None and e.unit == district.root


def test_parse_problems_reads_posted_rows():
    ps = actions.parse_problems([{"text": " 经费 \n 不足 ", "category": "resources", "unit": "3", "start": "1",
                                  "end": 9}, {"start": "x", "unit": True}])
    assert ps[0] == Problem(text="经费 不足", category="resources", unit=3, start=1, end=9)
    assert (ps[1].start, ps[1].end, ps[1].unit) == (-1, -1, None)
    with pytest.raises(ValidationError):
        actions.parse_problems(["not a row"])  # type: ignore[list-item]


# ---------------------------------------------------------------- PostgreSQL: one confirmation, whatever the race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL")
def test_concurrent_confirms_make_one_set_of_entries(users, district):
    c = review_campaign(users, district)
    st = actions.create_text(users.organiser, kind=TextKind.SPEECH, title="讲话", text=SPEECH, campaign=c)
    n = 6
    out = race(n, lambda i: actions.confirm(users.organiser, st.pk, problems(st, district)))
    done = [r for r in out if isinstance(r, list)]
    refused = [r for r in out if isinstance(r, ValidationError)]
    assert len(done) == 1 and len(refused) == n - 1, out
    assert all(r.messages == ["已转入整改台账"] for r in refused)
    assert LedgerEntry.objects.count() == 2
