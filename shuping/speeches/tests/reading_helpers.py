"""Checks shared by the reader's tests: the span invariant every reading must keep."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from shuping.speeches.reading import Item, Reading


def walk(items: list[Item]) -> Iterator[Item]:
    for item in items:
        yield item
        yield from walk(item.children)


def markers_and_leads(items: list[Item]) -> list[tuple[str, str]]:
    return [(i.marker, i.lead) for i in items]


def assert_spans(text: str, reading: Reading) -> None:
    """Every item is exactly text[start:end], inside its part (and its parent), after its marker, in order."""
    last_end = 0
    for part in reading.parts:
        assert last_end <= part.start < part.end <= len(text)
        last_end = part.end
        for item in walk(part.items):
            assert item.text == text[item.start:item.end] and item.text and item.text.strip() == item.text
            assert part.start <= item.marker_start <= item.start < item.end <= part.end
            assert text[item.marker_start:item.start].startswith(item.marker)
            assert item.text.startswith(item.lead)
        for items in [part.items, *[i.children for i in walk(part.items)]]:
            for a, b in pairwise(items):
                assert a.end <= b.marker_start  # in order, never overlapping
        for parent in walk(part.items):
            for child in parent.children:
                assert parent.start <= child.marker_start and child.end <= parent.end
    as_json = reading.as_json()
    assert [p["kind"] for p in as_json["parts"]] == reading.kinds
