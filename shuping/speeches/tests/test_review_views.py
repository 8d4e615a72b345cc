"""Pages of 讲话与点评 (views_reading): who may open them (organiser, chair; others 403), adding texts (paste,
upload, refused upload keeps nothing, 点评, 存在问题), the review page (source highlighted in place, problems
listed), confirming without JavaScript (rows) and with it (hidden JSON after a merge), refusals that keep the
edits, the second confirm, the links back from the ledger.
"""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuping.meetings.models import Commentary
from shuping.rectification.models import LedgerEntry, Source
from shuping.reports.models import Report, empty_sections
from shuping.speeches import actions, reading
from shuping.speeches.models import SpeechText, TextKind
from shuping.speeches.tests.test_review import SPEECH, review_campaign
from shuping.speeches.views_reading import render_text

EDITORS = ("organiser", "chair")
OTHERS = ("observer", "admin", "judge", "teller", "reporter", "owner", "nobody")


@pytest.fixture
def campaign(users, district):
    return review_campaign(users, district)


@pytest.fixture
def speech(users, campaign) -> SpeechText:
    return actions.create_text(users.organiser, kind=TextKind.SPEECH, title="2025年度述职评议会总结讲话",
                               text=SPEECH, campaign=campaign)


def text_of(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


# ---------------------------------------------------------------- permissions, every view


@pytest.mark.parametrize("name", EDITORS)
def test_editors_open_the_pages(client_for, users, speech, name):
    c = client_for(getattr(users, name))
    for url in ("/speeches/", "/speeches/new/", f"/speeches/{speech.pk}/"):
        assert c.get(url).status_code == 200, url
    assert "讲话与点评" in c.get("/").content.decode()  # the nav entry


@pytest.mark.parametrize("name", OTHERS)
def test_others_get_403_everywhere(client_for, users, speech, campaign, name):
    c = client_for(getattr(users, name))
    for url in ("/speeches/", "/speeches/new/", f"/speeches/{speech.pk}/"):
        assert c.get(url).status_code == 403, url
    p = campaign.participants.first()
    for url in ("/speeches/new/", "/speeches/from-commentary/", "/speeches/from-report/",
                f"/speeches/{speech.pk}/confirm/", f"/speeches/{speech.pk}/correct/"):
        assert c.post(url, {"participant": p.pk, "kind": "speech", "title": "x", "text": "y"}).status_code == 403
    assert c.post(f"/speeches/{speech.pk}/correct/", {"fix": "drop:0"}).status_code == 403
    assert "讲话与点评" not in c.get("/").content.decode()
    assert SpeechText.objects.count() == 1 and not LedgerEntry.objects.exists()
    speech.refresh_from_db()
    assert speech.corrections == []


def test_anonymous_is_sent_to_login(client, speech):
    r = client.get(f"/speeches/{speech.pk}/")
    assert r.status_code == 302 and r.url.startswith("/login/")


def test_a_missing_text_is_404(client_for, users):
    assert client_for(users.organiser).get("/speeches/999999/").status_code == 404


# ---------------------------------------------------------------- list and new


def test_the_list_shows_kind_campaign_unit_date_and_state(client_for, users, speech, campaign, district):
    actions.create_text(users.organiser, kind=TextKind.COMMENTARY, title="对西城的点评", text="很好。", campaign=campaign,
                        unit=district.west)
    page = text_of(client_for(users.chair).get("/speeches/"))
    assert "2025年度述职评议会总结讲话" in page and "对西城的点评" in page
    assert "西城街道党工委" in page and "2025 · 2025年度党（工）委书记抓基层党建工作述职评议" in page
    assert page.count("待核对") == 2


def test_pasting_a_speech_reads_it(client_for, users, campaign):
    r = client_for(users.chair).post("/speeches/new/", {"kind": "speech", "title": "总结讲话", "text": SPEECH,
                                                        "campaign": campaign.pk, "unit": ""})
    st = SpeechText.objects.get()
    assert r.status_code == 302 and r.url == f"/speeches/{st.pk}/"
    assert (st.title, st.text, st.campaign, st.created_by) == ("总结讲话", SPEECH, campaign, users.chair)


def test_uploading_a_gbk_file_reads_it_titled_by_its_name(client_for, users, campaign, district):
    f = SimpleUploadedFile("对东城的点评.txt", "亮点突出。一是党建经费保障不足。".encode("gbk"))
    r = client_for(users.organiser).post("/speeches/new/", {"kind": "commentary", "title": "", "text": "",
                                                            "campaign": campaign.pk, "unit": district.east.pk,
                                                            "file": f})
    st = SpeechText.objects.get()
    assert r.status_code == 302
    assert (st.title, st.kind, st.unit, st.source_name) == ("对东城的点评", "commentary", district.east, "对东城的点评.txt")
    assert st.text.strip() == "亮点突出。一是党建经费保障不足。"


def test_a_refused_upload_keeps_nothing_and_keeps_the_form(client_for, users, campaign):
    c = client_for(users.organiser)
    big = SimpleUploadedFile("大讲话.txt", "问".encode() * (700 * 1024))
    r = c.post("/speeches/new/", {"kind": "speech", "title": "我的标题", "text": "", "campaign": campaign.pk,
                                  "file": big})
    assert r.status_code == 200 and "“大讲话.txt”超过 2 MB" in text_of(r) and 'value="我的标题"' in r.content.decode()
    r = c.post("/speeches/new/", {"kind": "speech", "title": "t", "file": SimpleUploadedFile("x.docx", b"junk")})
    assert "x.docx 不是有效的 Word" in text_of(r)
    r = c.post("/speeches/new/", {"kind": "speech", "title": "", "text": ""})
    assert "请填写标题" in text_of(r) and "请粘贴正文" in text_of(r)
    r = c.post("/speeches/new/", {"kind": "speech", "title": "t", "text": "y", "campaign": "999999"})
    assert "所选项目不存在" in text_of(r)
    assert not SpeechText.objects.exists()


def test_reading_a_commentary_and_a_reports_problems(client_for, users, campaign, district):
    east = campaign.participants.get(unit=district.east)
    west = campaign.participants.get(unit=district.west)
    Commentary.objects.create(participant=east, text="钱东明同志述职重点突出。一是党建经费保障不足。", author=users.chair)
    Report.objects.create(participant=west, sections={**empty_sections(), "problems": "一是党员教育管理不够严格。"})
    c = client_for(users.chair)
    page = text_of(c.get("/speeches/new/"))
    assert "2025 · 东城街道党工委（钱东明）" in page and "2025 · 西城街道党工委（孙西华）" in page
    r = c.post("/speeches/from-commentary/", {"participant": east.pk})
    st = SpeechText.objects.get(kind=TextKind.COMMENTARY)
    assert r.url == f"/speeches/{st.pk}/" and st.unit == district.east
    r = c.post("/speeches/from-report/", {"participant": west.pk})
    st = SpeechText.objects.get(kind=TextKind.REPORT)
    assert r.url == f"/speeches/{st.pk}/" and st.text == "一是党员教育管理不够严格。"
    r = c.post("/speeches/from-report/", {"participant": east.pk}, follow=True)
    assert "东城街道党工委的述职报告“存在问题”部分为空" in text_of(r)
    assert c.post("/speeches/from-commentary/", {"participant": "abc"}).status_code == 302
    assert c.post("/speeches/from-commentary/", {"participant": 999999}).status_code == 404


# ---------------------------------------------------------------- review page


def problem_spans(text: str) -> list[tuple[int, int]]:
    return [(i.start, i.end) for i in reading.problems(reading.read(text))]


def test_the_review_page_highlights_every_item_in_place_and_lists_the_problems(client_for, users, speech):
    r = client_for(users.chair).get(f"/speeches/{speech.pk}/")
    body = r.content.decode()
    spans = problem_spans(SPEECH)
    assert len(spans) == 3
    for s, e in spans:
        assert f'id="s-{s + 1}-{e}"' in body  # the anchor ledger links point to
        assert f'data-start="{s}" data-end="{e}"' in body  # its row in the list
    assert body.count('class="part p-') == 5  # opening, achievements, problems, requirements, closing
    assert body.count('class="mk mk-problem"') == 3 and body.count('class="mk mk-item"') == 4
    rows = re.findall(r'<textarea name="text"[^>]*>([^<]*)</textarea>', body)
    assert rows == [SPEECH[s:e] for s, e in spans]
    assert 'value="responsibility" selected' in body and 'value="workforce" selected' in body
    assert "转入整改台账须由组织部确认" in text_of(r)  # the chair reviews; no confirm button
    assert 'data-testid="confirm"' not in body
    assert 'data-testid="confirm"' in client_for(users.organiser).get(f"/speeches/{speech.pk}/").content.decode()


def test_render_text_keeps_every_character_once_escaped():
    text = "甲<script>乙&丙\n丁"
    out = render_text(text, [(0, 5, "problems")], [(1, 4, "p0", "mk-problem"), (3, 9, "p1", "mk-problem")])
    assert "<script>" not in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text
    assert 'id="s-2-4"' in out and 'id="s-4-9"' in out and 'data-k="p0 p1"' in out


def test_a_report_without_a_problems_part_offers_all_its_items(client_for, users, campaign, district):
    st = actions.create_text(users.organiser, kind=TextKind.REPORT, title="西城存在问题",
                             text="一是党员教育管理不够严格。二是阵地建设滞后，经费不足。", campaign=campaign, unit=district.west)
    body = client_for(users.organiser).get(f"/speeches/{st.pk}/").content.decode()
    rows = re.findall(r'<textarea name="text"[^>]*>([^<]*)</textarea>', body)
    assert len(rows) >= 2 and all(r in st.text for r in rows)
    assert f'<option value="{district.west.pk}" selected>' in body  # the text's unit by default


# ---------------------------------------------------------------- confirming


def rows_post(text: str, units: list[int | str], categories: list[str]) -> dict:
    spans = problem_spans(text)
    return {"start": [s for s, _ in spans], "end": [e for _, e in spans], "text": [text[s:e] for s, e in spans],
            "category": categories, "unit": units}


def test_confirm_takes_the_rows_as_edited(client_for, users, speech, district):
    data = rows_post(SPEECH, [district.east.pk, district.west.pk, district.edu.pk],
                     ["responsibility", "workforce", "resources"])
    data["text"][1] = "党务干部队伍不够稳定（已改写）"
    r = client_for(users.organiser).post(f"/speeches/{speech.pk}/confirm/", data)
    assert r.status_code == 302 and r.url == f"/speeches/{speech.pk}/"
    e1, e2, e3 = LedgerEntry.objects.order_by("pk")
    assert (e1.unit, e1.category, e1.source) == (district.east, "responsibility", Source.COMMENTARY)
    assert (e2.unit, e2.problem) == (district.west, "党务干部队伍不够稳定（已改写）")
    assert (e3.unit, e3.category) == (district.edu, "resources")
    assert e3.problem == "阵地和经费保障不足，部分党群服务中心利用率不高，党建经费使用不规范。"
    page = client_for(users.organiser).get(f"/speeches/{speech.pk}/")
    body = page.content.decode()
    assert "已转入整改台账" in text_of(page) and 'id="review-form"' not in body
    for e in (e1, e2, e3):
        assert f'href="{e.source_link}"' in body and f'href="/ledger/{e.pk}/"' in body
        assert f'id="{e.source_link.split("#")[1]}"' in body  # the link's span is marked on the page
    assert "已转入" in text_of(client_for(users.organiser).get("/speeches/"))


def test_a_join_then_confirm_links_the_entry_to_both_items(client_for, users, speech, district):
    (s1, _), (_, e2), (s3, e3) = problem_spans(SPEECH)
    second = reading.problems(reading.read(SPEECH))[1]
    data = {**rows_post(SPEECH, [district.east.pk, "", ""], ["", "", ""]), "fix": f"join:{second.marker_start}"}
    r = client_for(users.organiser).post(f"/speeches/{speech.pk}/correct/", data)
    assert r.status_code == 200 and "已更正读取结果" in text_of(r)
    rows = re.findall(r'<textarea name="text"[^>]*>([^<]*)</textarea>', r.content.decode())
    assert rows == [" ".join(SPEECH[s1:e2].split()), SPEECH[s3:e3]]
    assert f'<option value="{district.east.pk}" selected>' in r.content.decode()  # the unsaved unit carried over
    r = client_for(users.organiser).post(f"/speeches/{speech.pk}/confirm/", {
        "start": [s1], "end": [e2], "text": ["责任落实不够到位；党务干部队伍不够稳定"], "category": ["responsibility"],
        "unit": [district.east.pk]})
    assert r.status_code == 302
    e = LedgerEntry.objects.get()
    assert e.problem == "责任落实不够到位；党务干部队伍不够稳定"
    assert e.source_link == f"/speeches/{speech.pk}/#s-{s1 + 1}-{e2}"
    assert f"第 {s1 + 1}–{e2} 字" in e.source_ref


def test_a_refused_confirm_keeps_the_edits_on_the_page(client_for, users, speech, district):
    data = rows_post(SPEECH, [district.east.pk, district.west.pk, district.edu.pk], ["", "workforce", "resources"])
    data["text"][0] = "改写后的问题（已编辑）"
    r = client_for(users.organiser).post(f"/speeches/{speech.pk}/confirm/", data)
    assert r.status_code == 422
    page = text_of(r)
    assert "第 1 条：请选择问题类别" in page and "改写后的问题（已编辑）" in page
    assert not LedgerEntry.objects.exists()
    r = client_for(users.organiser).post(f"/speeches/{speech.pk}/confirm/", {"start": ["1", "2"], "end": ["3"]})
    assert r.status_code == 422 and "格式不正确" in text_of(r)


def test_a_second_confirm_and_the_chairs_confirm_are_refused(client_for, users, speech, district):
    items = {"start": [0], "end": [4], "text": ["同志们"], "category": ["style"], "unit": [district.east.pk]}
    assert client_for(users.chair).post(f"/speeches/{speech.pk}/confirm/", items).status_code == 403
    c = client_for(users.organiser)
    c.post(f"/speeches/{speech.pk}/confirm/", items)
    r = c.post(f"/speeches/{speech.pk}/confirm/", items, follow=True)
    assert "已转入整改台账" in text_of(r) and LedgerEntry.objects.count() == 1
    assert c.get(f"/speeches/{speech.pk}/confirm/").status_code == 405
