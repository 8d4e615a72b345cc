"""材料雷同: the pure algorithm on hand-made texts, and the campaign check (which reports, last year's, cache)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shuping.reports.models import ReportState
from shuping.speeches import checks, similarity
from shuping.speeches.similarity import Doc, compare
from shuping.speeches.tests.similarity_samples import (
    COPIED,
    OWN,
    PROBLEMS,
    TEMPLATE,
    campaign_with_reports,
    make_units,
    sections,
)


def doc(key: str, text: str, unit: str | None = None, current: bool = True) -> Doc:
    return Doc(key, text, unit or key, current)


# --- the pure algorithm ---------------------------------------------------------------------------------------

def test_a_copied_paragraph_is_found_with_its_spans_in_both_texts():
    a = OWN["east"] + COPIED + PROBLEMS["east"]
    # The copier changed the punctuation and broke the paragraph with spaces and a line.
    lifted = COPIED.replace("，", ",").replace("“", "\"").replace("”", "\"").replace("每季度", "每 季度\n")
    b = PROBLEMS["west"] + "\n" + lifted + OWN["west"]
    result = compare([doc("east", a), doc("west", b)])
    [pair] = result.pairs
    assert (pair.a, pair.b, pair.kind, pair.kind_label) == ("east", "west", "other", "与其他单位")
    [p] = pair.passages
    # The passage runs from the first to the last shared character (the closing 。 is punctuation).
    assert a[p.a_start:p.a_end] == COPIED.rstrip("。")
    assert b[p.b_start:p.b_end] == lifted.rstrip("。")
    assert p.length == len(similarity.normalise(COPIED).text)
    assert pair.cover_a == (Decimal(p.length) / len(similarity.normalise(a).text)).quantize(Decimal("0.001"))
    assert isinstance(pair.score, Decimal) and pair.score == max(pair.cover_a, pair.cover_b)


def test_two_copied_passages_and_the_text_between_them_is_not_shared():
    first, second = COPIED[:40], COPIED[40:]
    a = OWN["east"] + COPIED
    b = first + OWN["west"] + second
    [pair] = compare([doc("east", a), doc("west", b)]).pairs
    expected = [first.strip("，、"), second.strip("，、。")]  # punctuation at the ends is not part of a run
    assert [a[p.a_start:p.a_end] for p in pair.passages] == expected
    assert [b[p.b_start:p.b_end] for p in pair.passages] == expected


def test_template_text_in_many_reports_is_not_copying():
    docs = [doc(name, TEMPLATE + OWN[name] + PROBLEMS[name]) for name in OWN]
    result = compare(docs)
    assert result.pairs == []
    assert result.boilerplate_shingles > 0


def test_template_is_left_out_of_a_real_copy():
    docs = [doc(name, TEMPLATE + OWN[name] + PROBLEMS[name]) for name in OWN]
    docs[1] = doc("west", TEMPLATE + OWN["west"] + COPIED + PROBLEMS["west"])
    docs[2] = doc("edu", TEMPLATE + COPIED + OWN["edu"] + PROBLEMS["edu"])
    [pair] = compare(docs).pairs
    assert {pair.a, pair.b} == {"west", "edu"}
    texts = {d.key: d.text for d in docs}
    assert [texts[pair.a][p.a_start:p.a_end] for p in pair.passages] == [COPIED.rstrip("。")]
    assert TEMPLATE[:13] not in texts[pair.a][pair.passages[0].a_start:pair.passages[0].a_end]


def test_two_reports_sharing_a_passage_is_copying_even_in_a_small_campaign():
    # Two of three is more than 30 %, but template text needs at least three reports.
    docs = [doc("east", OWN["east"] + COPIED), doc("west", COPIED + OWN["west"]), doc("edu", OWN["edu"])]
    [pair] = compare(docs).pairs
    assert {pair.a, pair.b} == {"east", "west"}


def test_unrelated_reports_score_nothing():
    docs = [doc(name, OWN[name] + PROBLEMS[name]) for name in OWN]
    assert compare(docs).pairs == []


def test_common_phrases_shorter_than_the_shingle_are_not_passages():
    a = OWN["east"] + "坚持以人民为中心的发展思想。"
    b = "始终坚持以人民为中心，" + OWN["west"]
    assert compare([doc("east", a), doc("west", b)]).pairs == []


def test_last_years_report_of_the_same_unit_is_compared_but_not_other_units_last_year():
    docs = [
        doc("east-2026", OWN["east"] + COPIED + OWN["north"], unit="east"),
        doc("east-2025", COPIED + PROBLEMS["east"], unit="east", current=False),
        doc("west-2025", OWN["north"] + PROBLEMS["west"], unit="west", current=False),  # another unit, last year
        doc("west-2026", OWN["west"], unit="west"),
    ]
    [pair] = compare(docs).pairs
    assert (pair.a, pair.b, pair.kind, pair.kind_label) == ("east-2026", "east-2025", "last_year", "与本单位上年")
    assert docs[0].text[pair.passages[0].a_start:pair.passages[0].a_end] == COPIED.rstrip("。")


def test_the_same_units_two_reports_this_year_are_not_a_pair():
    assert compare([doc("x1", COPIED, unit="x"), doc("x2", COPIED, unit="x")]).pairs == []


def test_a_whole_report_inside_a_longer_one_scores_high():
    short = COPIED
    long = OWN["east"] + COPIED + OWN["north"] + OWN["south"]
    [pair] = compare([doc("short", short), doc("long", long)]).pairs
    assert pair.score == pair.cover_a == Decimal("1.000")
    assert pair.cover_b < Decimal("0.5")


def test_full_width_letters_and_digits_match_half_width():
    a = "全年开展ＡＢＣ专项行动１２次，覆盖党员３４５６名，" + OWN["east"]
    b = OWN["west"] + "全年开展abc专项行动12次，覆盖党员3456名。"
    [pair] = compare([doc("east", a), doc("west", b)]).pairs
    [p] = pair.passages
    assert b[p.b_start:p.b_end] == "全年开展abc专项行动12次，覆盖党员3456名"
    assert a[p.a_start:p.a_end] == "全年开展ＡＢＣ专项行动１２次，覆盖党员３４５６名"


def test_min_score_drops_small_overlaps():
    a = OWN["east"] + OWN["north"] + OWN["south"] + COPIED[:20]
    b = COPIED[:20] + OWN["west"] + OWN["edu"]
    [pair] = compare([doc("east", a), doc("west", b)]).pairs
    assert pair.score < Decimal("0.2")
    assert compare([doc("east", a), doc("west", b)], min_score=Decimal("0.2")).pairs == []


def test_pairs_are_ranked_by_score():
    docs = [doc("east", OWN["east"] + COPIED), doc("west", COPIED), doc("edu", OWN["edu"] + OWN["east"][:30]),
            doc("north", OWN["north"] + OWN["south"])]
    scores = [p.score for p in compare(docs).pairs]
    assert scores == sorted(scores, reverse=True) and len(scores) == 2


def test_segments_cut_the_text_for_highlighting():
    assert similarity.segments("abcdefgh", [(2, 4), (3, 5), (7, 8)]) == [
        ("ab", False), ("cde", True), ("fg", False), ("h", True)]
    assert similarity.segments("abc", []) == [("abc", False)]
    assert similarity.percent(Decimal("0.1234")) == "12.3%"


# --- the campaign check --------------------------------------------------------------------------------------

@pytest.fixture
def units(district):
    extra = make_units(district.root, ["north", "south"])
    return {"east": district.east, "west": district.west, "edu": district.edu, **extra}


@pytest.fixture(autouse=True)
def _fresh_cache():
    checks.clear_cache()
    yield
    checks.clear_cache()


def test_report_text_joins_sections_in_form_order():
    s = sections("履职内容", "问题内容")
    s["plans"] = "思路内容"
    text, spans = checks.report_text(s)
    assert text == "履职内容\n\n问题内容\n\n思路内容"
    assert [(label, text[a:b]) for label, a, b in spans] == [
        ("履职情况和成效", "履职内容"), ("存在问题", "问题内容"), ("下步思路", "思路内容")]


def test_campaign_check_finds_copies_this_year_and_from_last_year(district, units):
    u = units
    _, last = campaign_with_reports(district.root, 2025, {
        u["east"]: sections(OWN["east"], COPIED),
        u["west"]: sections(OWN["west"], PROBLEMS["west"]),
    })
    campaign, now = campaign_with_reports(district.root, 2026, {
        u["east"]: sections(OWN["north"] + COPIED, PROBLEMS["east"]),  # reuses its own last year's paragraph
        u["west"]: sections(TEMPLATE + OWN["south"], PROBLEMS["north"]),  # copied south's report below
        u["edu"]: sections(TEMPLATE + OWN["edu"], PROBLEMS["edu"]),
        u["north"]: (sections(OWN["west"] + COPIED), ReportState.DRAFT),  # drafts are not checked
        u["south"]: (sections(TEMPLATE + OWN["south"], PROBLEMS["south"]), ReportState.APPROVED),
    })
    check = checks.compute(campaign)
    assert (check.n_current, check.n_previous, check.previous_id) == (4, 2, last[u["east"]].participant.campaign_id)
    got = {(check.reports[p.a].unit, check.reports[p.b].unit, p.kind) for p in check.pairs}
    assert got == {
        (u["east"].name, u["east"].name, "last_year"),
        (u["west"].name, u["south"].name, "other"),
    }
    reuse = next(p for p in check.pairs if p.kind == "last_year")
    assert (reuse.a, reuse.b) == (now[u["east"]].pk, last[u["east"]].pk)
    [passage] = reuse.passages
    assert check.reports[reuse.a].text[passage.a_start:passage.a_end] == COPIED.rstrip("。")
    assert check.reports[reuse.b].text[passage.b_start:passage.b_end] == COPIED.rstrip("。")


def test_the_cache_follows_the_reports(district, units):
    campaign, now = campaign_with_reports(district.root, 2026, {
        units["east"]: sections(OWN["east"]), units["west"]: sections(OWN["west"]),
    })
    first = checks.cached(campaign)
    assert first.pairs == [] and checks.cached(campaign) is first
    west = now[units["west"]]
    west.sections = sections(OWN["west"] + OWN["east"])
    west.revision += 1
    west.save()
    second = checks.cached(campaign)
    assert second is not first and len(second.pairs) == 1
    west.state = ReportState.RETURNED  # sent back: no longer checked
    west.save()
    assert checks.cached(campaign).n_current == 1


def test_no_previous_campaign_and_no_reports(district):
    campaign, _ = campaign_with_reports(district.root, 2026, {})
    check = checks.compute(campaign)
    assert (check.previous_id, check.n_current, check.pairs) == (None, 0, [])
