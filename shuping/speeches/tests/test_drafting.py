"""Drafting: the pure assembly (phrases, sentences, ranking) and the facts gathered for a reporter and a campaign.

`drafting_setup` (also used by test_draft_views): the meeting fixture's 2025 campaign (east, west on site; edu in
writing; judges judge1..3), last year's archived campaign with a published box (east: 好 好 较好 一般 弃权 → 好评率
75%), last year's ledger for east (one open and overdue, one closed), a submitted report for east, three judges'
submitted sheets for east, and the phrase library loaded (a flush by a transactional test empties it).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from docx import Document

from shuping.ballots.models import Ballot, BallotBox, BallotLine, BoxState
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.meetings.tests.conftest import meeting_setup  # noqa: F401 (fixture)
from shuping.rectification import actions as ledger
from shuping.rectification.models import EntryState, LedgerEntry, Source
from shuping.reports.models import Report, ReportState, empty_sections
from shuping.results.models import ResultRow, ResultSheet, SheetState
from shuping.scoring import actions_judging
from shuping.speeches import drafting, facts
from shuping.speeches.drafting import (
    EntryFact,
    GoodRate,
    IndicatorFact,
    PhraseBook,
    ReporterFacts,
    Snippet,
    UnitProblem,
)
from shuping.speeches.drafting import Source as Src
from shuping.speeches.models import Phrase
from shuping.speeches.phrases import DEFAULT_PHRASES, load_default_phrases

PERFORMANCE = ("一是强化政治引领。全年召开党工委理论学习中心组学习会12次，开展专题研讨4次。\n"
               "二是建强组织体系。新建楼宇党支部3个，整顿转化后进社区党组织1个。")
PROBLEMS = "党务工作者队伍力量薄弱，专职党务干部只有2名。\n部分社区党群服务中心使用率不高，党建经费保障不足。"


@pytest.fixture
def drafting_setup(meeting_setup, users, district):  # noqa: F811
    s = meeting_setup
    load_default_phrases(Phrase)
    last = Campaign.objects.create(year=2024, title="2024年度述职评议", committee=district.root,
                                   state=CampaignState.ARCHIVED)
    Campaign.objects.filter(pk=last.pk).update(created_at=timezone.now() - timedelta(days=300))
    last.refresh_from_db()
    last_east = Participant.objects.create(campaign=last, unit=district.east, secretary=district.east.secretary)
    last_west = Participant.objects.create(campaign=last, unit=district.west, secretary=district.west.secretary)
    box = BallotBox.objects.create(campaign=last, state=BoxState.PUBLISHED)
    BallotLine.objects.create(box=box, participant=last_east, position=0)
    BallotLine.objects.create(box=box, participant=last_west, position=1)
    for g in ["11", "11", "21", "31", "01"]:
        Ballot.objects.create(box=box, group=0, grades=g)
    open_entry = ledger.create_entry(users.organiser, unit=district.east, campaign=last, source=Source.COMMENTARY,
                                     problem="社区党组织书记后备力量不足", category="organisation",
                                     deadline=date(2025, 6, 30))
    # Closure needs a request and a second person's verification; the closed state is what matters here.
    closed_entry = LedgerEntry.objects.create(campaign=last, unit=district.east, problem="党建经费未单列",
                                              category="resources", source=Source.COMMENTARY,
                                              state=EntryState.CLOSED, closed_at=timezone.now() - timedelta(days=30))
    ledger.create_entry(users.organiser, unit=district.west, campaign=last, source=Source.COMMENTARY,
                        problem="别的单位的问题", category="style")
    report = Report.objects.create(participant=s.east, state=ReportState.SUBMITTED,
                                   sections={**empty_sections(), "performance": PERFORMANCE, "problems": PROBLEMS})
    actions_judging.open_window(users.organiser, s.east)
    for judge, pts in zip(s.judges, (["27", "36", "12", "9"], ["28", "37", "13", "9"], ["29", "38", "14", "9"]),
                          strict=True):
        actions_judging.save_score(judge, s.east, pts, submit=True)
    return SimpleNamespace(**vars(s), last=last, last_box=box, open_entry=open_entry, closed_entry=closed_entry,
                           report=report)


def book() -> PhraseBook:
    return PhraseBook.of(DEFAULT_PHRASES)


# --- pure --------------------------------------------------------------------------------------------

def test_the_default_library_has_five_phrases_per_slot_and_one_per_category():
    slots: dict[str, int] = {}
    for slot, _, _ in DEFAULT_PHRASES:
        slots[slot] = slots.get(slot, 0) + 1
    assert set(slots) == {"opening", "achievements", "highlight", "problems", "problem", "suggestion", "closing"}
    assert all(n >= 5 for n in slots.values()), slots
    from shuping.rectification.categories import LABELS

    for slot in ("problem", "suggestion"):
        assert {c for s, c, _ in DEFAULT_PHRASES if s == slot and c} == set(LABELS)


def test_the_default_library_copies_no_sentence_of_the_fixture_speeches():
    from pathlib import Path

    folder = Path(__file__).parent / "speeches"  # copies of the three fixture speeches
    assert len(list(folder.glob("*.txt"))) == 3
    speeches = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.txt"))
    for _, _, text in DEFAULT_PHRASES:
        for clause in drafting.re.split(r"[，。；、“”]", text):
            if len(clause) >= 12 and "{" not in clause:
                assert clause not in speeches, clause


def test_fill_replaces_known_placeholders_only():
    assert drafting.fill("{unit}的{name}讲了“{fact}”{other}", unit="东城", name="钱", fact="x") == "东城的钱讲了“x”{other}"


def test_key_sentences_prefer_figures_and_drop_markers():
    assert drafting.key_sentences(PERFORMANCE, 2) == ["全年召开党工委理论学习中心组学习会12次，开展专题研讨4次",
                                                      "新建楼宇党支部3个，整顿转化后进社区党组织1个"]
    assert drafting.sentences_of("（一）建强阵地；\n1. 经费到位。第二，队伍稳定！") == ["建强阵地", "经费到位", "队伍稳定"]


def test_common_problems_rank_by_units_sharing_them():
    s = Src("x", "/x")
    ranked = drafting.common_problems([
        UnitProblem("甲", "style", "文山会海", s), UnitProblem("甲", "style", "过度留痕", s),
        UnitProblem("乙", "style", "文山会海", s), UnitProblem("丙", "resources", "经费不足", s),
        UnitProblem("丁", "political", "学习不深", s), UnitProblem("乙", "nonsense", "?", s),
    ])
    assert [(c.category, c.count) for c in ranked] == [("style", 2), ("political", 1), ("resources", 1)]
    assert [e.unit for e in ranked[0].examples] == ["甲", "乙"]


def _facts() -> ReporterFacts:
    report = Src("述职报告·履职情况和成效", "/reports/1/#section-performance")
    return ReporterFacts(
        7, "东城街道党工委", "钱东明",
        performance=[Snippet("新建楼宇党支部3个", report)],
        own_problems=[Snippet("专职党务干部只有2名", Src("述职报告·存在问题", "/reports/1/#section-problems"),
                              "workforce")],
        open_entries=[EntryFact("社区书记后备不足", "organisation", "整改中", False, 2024, "2025-06-30", True,
                                Src("整改台账 #3", "/rectification/3/"))],
        closed_entries=[EntryFact("经费未单列", "resources", "已销号", True, 2024, "", False,
                                  Src("整改台账 #4", "/rectification/4/"))],
        good_rate=GoodRate(2024, Decimal(3) / Decimal(4), 4, Src("2024年度民主测评计票结果", "/ballots/2/results/")),
        indicators=[IndicatorFact("问题查摆与整改", Decimal(13), Decimal(20), 3, Src("现场评分进度", "/scoring/campaign/1/")),
                    IndicatorFact("工作成效", Decimal(37), Decimal(40), 3, Src("现场评分进度", "/scoring/campaign/1/"))])


def test_the_commentary_draft_has_the_genre_shape_and_every_fact_its_source():
    d = drafting.commentary_draft(_facts(), book())
    assert [s.heading for s in d.sections] == ["一、亮点", "二、问题", "三、建议"]
    text = d.plain_text()
    assert text.index("一、亮点") < text.index("二、问题") < text.index("三、建议")
    by_text = {s.text: s.sources for sec in d.sections for s in sec.sentences}
    fact = next(t for t in by_text if "新建楼宇党支部3个" in t)
    assert by_text[fact][0].url == "/reports/1/#section-performance"
    assert any("“经费未单列”" in t and "已整改销号" in t for t in by_text)
    assert any("“社区书记后备不足”问题至今未销号（整改中，整改时限2025-06-30，已超期）" in t for t in by_text)
    weakest = next(t for t in by_text if "问题查摆与整改" in t)
    assert "平均13.00分（满分20.00分，得分率65.0%）" in weakest and by_text[weakest][0].url == "/scoring/campaign/1/"
    rate = next(t for t in by_text if "好评率" in t)
    assert "2024年度民主测评好评率为75.00%" in rate and by_text[rate][0].url == "/ballots/2/results/"
    # Suggestions are keyed to the problems' categories (党务队伍建设, 组织体系): the library's own words.
    suggestions = [s.text for s in d.sections[2].sentences]
    assert any("党务干部" in s for s in suggestions) and any("组织" in s for s in suggestions)
    assert "/reports/" not in text and "http" not in text
    assert [n for n, _ in d.sources()] == [1, 2, 3, 4, 5, 6]


def test_phrases_rotate_between_reporters():
    a, b = _facts(), _facts()
    b.participant_id = 8
    first = drafting.commentary_draft(a, book()).sections[0].sentences[0].text
    second = drafting.commentary_draft(b, book()).sections[0].sentences[0].text
    assert first != second and "新建楼宇党支部3个" in first and "新建楼宇党支部3个" in second


def test_a_draft_without_phrases_still_states_the_facts():
    d = drafting.commentary_draft(_facts(), PhraseBook.of([]))
    assert "新建楼宇党支部3个" in d.plain_text() and "社区书记后备不足" in d.plain_text()


# --- facts from the database -------------------------------------------------------------------------

def test_reporter_facts_come_from_the_report_the_ledger_the_tally_and_the_judges(drafting_setup):
    s = drafting_setup
    f = facts.reporter_facts(Participant.objects.select_related("unit", "secretary", "campaign").get(pk=s.east.pk))
    assert [x.text for x in f.performance][:2] == ["全年召开党工委理论学习中心组学习会12次，开展专题研讨4次",
                                                   "新建楼宇党支部3个，整顿转化后进社区党组织1个"]
    assert f.performance[0].source.url == f"/reports/{s.report.pk}/#section-performance"
    assert next(x.text for x in f.own_problems) == "党务工作者队伍力量薄弱，专职党务干部只有2名"
    assert [e.problem for e in f.open_entries] == ["社区党组织书记后备力量不足"]
    assert f.open_entries[0].overdue and f.open_entries[0].source.url == f"/ledger/{s.open_entry.pk}/"
    assert [e.problem for e in f.closed_entries] == ["党建经费未单列"]
    assert f.good_rate is not None and f.good_rate.rate == Decimal("0.75") and f.good_rate.year == 2024
    assert f.good_rate.source.url == f"/ballots/{s.last_box.pk}/results/"
    weakest = min(f.indicators, key=lambda x: x.ratio)
    assert weakest.name == "问题查摆与整改" and weakest.average == Decimal(13) and weakest.sheets == 3
    assert any("匿名" in n for n in f.notes)


def test_this_years_published_box_wins_over_last_years(drafting_setup):
    s = drafting_setup
    BallotBox.objects.filter(pk=s.box.pk).update(state=BoxState.PUBLISHED)
    for g in ["110", "440"]:
        Ballot.objects.create(box=s.box, group=0, grades=g)
    f = facts.reporter_facts(Participant.objects.get(pk=s.east.pk))
    assert f.good_rate is not None and f.good_rate.year == 2025 and f.good_rate.rate == Decimal("0.5")


def test_a_reporter_without_anything_gets_a_draft_and_notes(drafting_setup):
    f = facts.reporter_facts(Participant.objects.get(pk=drafting_setup.edu.pk))
    d = drafting.commentary_draft(f, facts.phrase_book())
    assert "尚未填写述职报告" in " ".join(d.notes) and "没有已公布的民主测评结果" in " ".join(d.notes)
    assert d.sections[2].sentences  # general suggestions still


def test_closing_outline_ranks_the_campaigns_problems_and_counts_grades(drafting_setup, users, district):
    s = drafting_setup
    for unit, problem, category in ((district.east, "会议多、材料多", "style"),
                                    (district.west, "过度留痕问题突出", "style"),
                                    (district.edu, "党建经费没有单列", "resources")):
        ledger.create_entry(users.organiser, unit=unit, campaign=s.campaign, source=Source.COMMENTARY,
                            problem=problem, category=category)
    sheet = ResultSheet.objects.create(campaign=s.campaign, state=SheetState.PUBLISHED, input_digest="x",
                                       computed_at=timezone.now(), computed_by=users.organiser)
    for rank, (p, grade, composite) in enumerate(((s.east, "好", "91.5"), (s.west, "较好", "85"),
                                                  (s.edu, "较好", "82.25")), start=1):
        ResultRow.objects.create(sheet=sheet, participant=p, rank=rank, grade=grade, composite=composite,
                                 composite_display=composite)
    f = facts.closing_facts(s.campaign)
    d = drafting.closing_outline(f, facts.phrase_book())
    text = d.plain_text()
    assert [x.heading for x in d.sections] == ["开头", "一、总体成效", "二、存在的共性问题", "三、下步工作要求", "结尾"]
    assert "3个单位中，评定为“好”1个、“较好”2个，综合得分平均86.25分" in text
    assert "东城街道党工委全年召开党工委理论学习中心组学习会12次" in text
    problems = [x.text for x in d.sections[2].sentences]
    assert problems[1].startswith("（一）作风建设方面（2个单位）") and "如东城街道党工委、西城街道党工委。" in problems[1]
    assert any("阵地与经费保障方面" in p and "区教育局党委" in p for p in problems)
    requirements = [x.text for x in d.sections[3].sentences]
    assert requirements[0].startswith("第一，要持续纠治形式主义")  # keyed to the top-ranked category
    urls = [src.url for _, src in d.sources()]
    assert f"/results/campaign/{s.campaign.pk}/" in urls and f"/reports/{s.report.pk}/#section-performance" in urls


def test_closing_outline_docx_has_the_official_layout(drafting_setup):
    d = drafting.closing_outline(facts.closing_facts(drafting_setup.campaign), facts.phrase_book())
    doc = Document(io.BytesIO(drafting.closing_docx(d)))
    sec = doc.sections[0]
    assert round(sec.top_margin.cm, 1) == 3.7 and round(sec.bottom_margin.cm, 1) == 3.5
    assert round(sec.left_margin.cm, 1) == 2.8 and round(sec.right_margin.cm, 1) == 2.6
    title = doc.paragraphs[0]
    assert title.text == d.title and title.runs[0].font.size.pt == 22
    assert title.runs[0]._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "方正小标宋简体"
    body = next(p for p in doc.paragraphs if p.text.startswith("第一，"))
    assert body.runs[0].font.size.pt == 16
    assert "三、下步工作要求" in [p.text for p in doc.paragraphs]

