"""The reader on speeches written for issue 14, each with its parts and items written down by hand beside it
(genre/*.txt + *.json; scoring in genre_score.py), and on the held-out set written before the rules changed.

The genre examples are what the rules were built on: every one must read exactly as written down. The held-out
examples were never tuned on; their test only keeps the figures from getting worse than when the rules were
finished (37/37 items in place, 0 extra, parts right in 3 of 4) and checks the span invariant.
"""

from __future__ import annotations

import pytest

from shuping.speeches.reading import LOW, read
from shuping.speeches.tests.genre_score import examples, score, table
from shuping.speeches.tests.reading_helpers import assert_spans, walk

GENRE = examples("genre")
HELDOUT = examples("heldout")


def test_there_are_enough_examples():
    assert len(GENRE) >= 10 and len(HELDOUT) >= 3


@pytest.mark.parametrize("example", GENRE + HELDOUT, ids=lambda e: e.name)
def test_every_item_is_a_span_with_a_confidence_and_a_reason(example):
    reading = read(example.text)
    assert_spans(example.text, reading)
    for part in reading.parts:
        assert 0 <= part.confidence <= 1 and part.reason
        for item in walk(part.items):
            assert 0 <= item.confidence <= 1 and item.reason
            if part.kind == "problems" and item in part.items:
                assert item.category_reason


@pytest.mark.parametrize("example", GENRE, ids=lambda e: e.name)
def test_each_genre_example_reads_as_written_down(example):
    s = score(example)
    reading = read(example.text)
    assert reading.kinds == example.expected["parts"]
    assert (s.in_place, s.extra) == (s.expected, 0), [
        (p.kind, [i.text[:20] for i in p.items]) for p in reading.parts]
    assert s.categories == s.categories_expected


def test_the_held_out_figures_do_not_get_worse():
    rows, total = table("heldout")
    assert total.in_place >= 37 and total.extra <= 0
    assert sum(s.kinds_right for _, s in rows) >= 3


def test_an_opening_that_quotes_another_speech_does_not_start_the_problems():
    """Class 2 of the issue: "明确指出了不足和短板" in the opening is someone else's words."""
    [example] = [e for e in GENRE if e.name.startswith("g01")]
    reading = read(example.text)
    opening = reading.parts[0]
    assert "指出了存在的问题和不足" in example.text[opening.start:opening.end]
    assert [i.text[:8] for i in reading.part("achievements").items] == [  # type: ignore[union-attr]
        "政治引领更加有力", "组织覆盖更加全面", "治理效能有效提升", "服务阵地更加完善"]


def test_a_lead_in_is_no_item_and_a_trailing_paragraph_stays_with_its_item_flagged():
    """Classes 1 and 3: the lead-in paragraph opens the part; an item's following 有的… paragraph belongs to it,
    and that spot is the one the reviewer is asked to check."""
    [g12] = [e for e in GENRE if e.name.startswith("g12")]
    found = read(g12.text).part("problems").items  # type: ignore[union-attr]
    assert [i.marker for i in found] == ["（一）", "（二）", "（三）"]
    assert found[0].text.endswith("对“三会一课”等基本制度落实不上心。")
    assert found[0].confidence < LOW and "有的" in found[0].reason
    assert found[1].confidence >= LOW


def test_a_problem_gets_its_category_with_the_keywords_that_decided_or_none_with_why():
    [g07] = [e for e in GENRE if e.name.startswith("g07")]
    found = read(g07.text).part("problems").items  # type: ignore[union-attr]
    by_text = {i.text: (i.category, i.category_reason) for i in found}
    assert by_text["软弱涣散村党组织整顿不彻底"] == ("organisation", "关键词“软弱涣散”（3 分）")
    assert by_text["党建工作谋划不深"] == (None, "没有类别关键词")
