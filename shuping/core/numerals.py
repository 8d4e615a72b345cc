"""Chinese numerals for headings and list markers in generated documents (一、二、…、十一、二十)."""

from __future__ import annotations

NUMERALS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 99 → 九十九."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")
