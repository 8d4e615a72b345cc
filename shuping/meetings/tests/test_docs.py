"""The meeting's Word documents, read back with python-docx: names, order, times, 点评 texts, layout."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from shuping.meetings import actions, docs
from shuping.meetings.commentary import add_problem, save_commentary

T0 = datetime(2025, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
EAST_TEXT = "钱东明同志述职重点突出。\n存在问题：党建经费保障不足。"


def at(minutes: float) -> datetime:
    return T0 + timedelta(seconds=round(minutes * 60))


def read(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def lines(d) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.text for p in d.paragraphs if p.text.strip()]


def rows(table) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[c.text for c in r.cells] for r in table.rows]


@pytest.fixture
def held(meeting_setup, users):
    """The meeting run through the control actions: west absent with a substitute, east 25 s over time."""
    s, o = meeting_setup, users.organiser
    users.chair.display_name = "张明"
    users.chair.save()
    actions.set_options(o, s.meeting, show_ranking=False, show_judges=True, attendees=86,
                        attendance_note="区委常委、区直各部门主要负责同志出席", now=at(-5))
    actions.mark_absent(o, s.items[1], True, substitute="王副书记", note="因公出差", now=at(-4))
    actions.start_meeting(o, s.meeting, now=at(0))
    actions.start_timer(o, s.items[0], now=at(0.5))
    actions.to_commentary(o, s.items[0], now=at(0.5) + timedelta(seconds=385))
    save_commentary(users.chair, s.east, EAST_TEXT, 0)
    start = EAST_TEXT.index("党建经费")
    add_problem(users.chair, s.east, "", "resources", start=start, end=start + 8)
    add_problem(users.chair, s.east, "党员教育管理不够经常", "members")
    actions.next_item(o, s.meeting, now=at(10))
    actions.start_timer(o, s.items[1], now=at(10) + timedelta(seconds=10))
    actions.to_commentary(o, s.items[1], now=at(15))
    actions.next_item(o, s.meeting, now=at(18))
    actions.next_item(o, s.meeting, now=at(30))
    actions.end_meeting(o, s.meeting, now=at(50))
    s.meeting.refresh_from_db()
    return s


def test_running_order_names_every_reporter_in_speaking_order(meeting_setup, users):
    users.chair.display_name = "张明"
    users.chair.save()
    d = read(docs.running_order(meeting_setup.meeting))
    text = lines(d)
    assert text[0] == "2025年度述职评议会" and "会 议 议 程" in text and "主 持 词" in text
    agenda = text[text.index("会 议 议 程"):text.index("主 持 词")]
    assert agenda[2:] == ["一、述职评议（一述一评）", "1. 东城街道党工委钱东明同志述职，张明同志点评",
                          "2. 西城街道党工委孙西华同志述职，张明同志点评", "二、民主测评", "三、领导总结讲话"]
    host = text[text.index("主 持 词"):]
    calls = [t for t in host if t.startswith("请")]
    assert calls == ["请东城街道党工委钱东明同志述职。", "请张明同志点评。", "请西城街道党工委孙西华同志述职。",
                     "请张明同志点评。"]
    assert any("下面进行第二项议程：民主测评" in t and "现场述职的2名同志和书面述职的1名同志" in t for t in host)
    assert any("下面进行第三项议程：请张明同志作总结讲话" in t for t in host)
    assert host[-1].endswith("散会。")


def test_running_order_with_an_absence_and_no_single_chair(meeting_setup, users):
    actions.mark_absent(users.organiser, meeting_setup.items[0], True, substitute="王副书记")
    actions.mark_absent(users.organiser, meeting_setup.items[1], True)
    text = lines(read(docs.running_order(meeting_setup.meeting)))
    assert "1. 东城街道党工委钱东明同志述职（王副书记同志代为述职），＿＿＿同志点评" in text
    assert "东城街道党工委钱东明同志因故缺席，请王副书记同志代为述职。" in text
    assert "西城街道党工委孙西华同志因故缺席，书面述职材料会后印发。" in text
    assert text.count("请＿＿＿同志点评。") == 1


def test_the_documents_have_the_official_layout(meeting_setup):
    d = read(docs.running_order(meeting_setup.meeting))
    sec = d.sections[0]
    cm = [round(x.cm, 2) for x in (sec.page_width, sec.page_height, sec.top_margin, sec.bottom_margin,
                                   sec.left_margin, sec.right_margin)]
    assert cm == [21, 29.7, 3.7, 3.5, 2.8, 2.6]  # A4; margins as 公文 (stored in twips, hence the rounding)
    title = d.paragraphs[0].runs[0]
    assert title.font.size == Pt(22)
    assert title._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(p for p in d.paragraphs if p.text.startswith("请")).runs[0]
    assert body.font.size == Pt(16) and body._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    fonts = next(p for p in d.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml").blob.decode()
    assert 'w:name="仿宋_GB2312"' in fonts and 'w:altName w:val="仿宋"' in fonts


def test_minutes_record_times_overruns_attendance_and_commentary(held):
    d = read(docs.minutes(held.meeting))
    text = lines(d)
    assert text[0] == "会 议 记 录"
    assert "时\u3000\u3000间：2025年12月1日 09:00—09:50" in text
    assert "参会人数：86 人" in text and "出席情况：区委常委、区直各部门主要负责同志出席" in text
    assert "缺席及代述职：西城街道党工委孙西华同志缺席，由王副书记同志代为述职（因公出差）" in text

    agenda, log = d.tables
    assert rows(agenda) == [
        ["序号", "议程", "开始", "结束", "述职用时", "超时"],
        ["1", "东城街道党工委（钱东明）述职", "09:00:30", "09:10:00", "6分25秒", "25秒"],
        ["2", "西城街道党工委（孙西华）述职", "09:10:10", "09:18:00", "4分50秒", ""],
        ["3", "民主测评", "09:18:00", "09:30:00", "", ""],
        ["4", "领导总结讲话", "09:30:00", "09:50:00", "", ""],
    ]
    east = text.index("（一）东城街道党工委钱东明同志")
    west = text.index("（二）西城街道党工委孙西华同志（由王副书记同志代为述职）")
    assert east < west
    part = text[east:west]
    assert "述职：09:00:30开始，09:10:00结束，述职用时6分25秒（限时6分00秒），超时25秒。" in part
    assert "点评：钱东明同志述职重点突出。" in part and "存在问题：党建经费保障不足。" in part
    start = EAST_TEXT.index("党建经费")
    assert f"1. 【阵地与经费保障】党建经费保障不足（第 {start + 1}–{start + 8} 字）" in part
    assert "2. 【党员教育管理】党员教育管理不够经常" in part
    assert "点评：（无点评记录）" in text[west:]
    log_rows = rows(log)
    assert log_rows[0] == ["时间", "事项"]
    assert ["09:00:00", "会议开始，当前议程：“东城街道党工委（钱东明）述职”"] in log_rows
    assert log_rows[-1][0] == "09:50:00"
    assert [r[0] for r in log_rows[1:]] == sorted(r[0] for r in log_rows[1:])


def test_the_meeting_end_hands_the_problems_to_the_ledger(held):
    from shuping.rectification.models import LedgerEntry

    assert sorted(LedgerEntry.objects.values_list("problem", flat=True)) == ["党员教育管理不够经常", "党建经费保障不足"]


def test_minutes_of_a_meeting_not_yet_held(meeting_setup):
    text = lines(read(docs.minutes(meeting_setup.meeting)))
    assert "参会人数：未登记" in text and "缺席及代述职：无" in text and "无操作记录。" in text


def test_downloads_are_word_files_with_the_campaign_in_the_name(meeting_setup, users, client_for):
    r = client_for(users.observer).get(f"/meetings/{meeting_setup.meeting.pk}/docs/minutes.docx")
    assert r["Content-Type"] == docs_type()
    assert "filename*=UTF-8''2025" in r["Content-Disposition"] and r["Content-Disposition"].endswith(".docx")
    assert lines(read(r.content))[0] == "会 议 记 录"


def docs_type() -> str:
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
