"""Pure hash-chain arithmetic for the audit log (no Django models).

Each event's hash covers its own canonical content and the previous event's hash, so
editing, inserting or deleting any row breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical(content)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


def verify_chain(rows: Iterable[tuple[int, dict[str, Any], str, str]]) -> list[ChainProblem]:
    """rows: (seq, content, prev_hash, hash) in seq order. Returns the problems found."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    expected_seq = 1
    for seq, content, prev_hash, stored_hash in rows:
        if seq != expected_seq:
            problems.append(ChainProblem(seq, f"序号不连续：应为 {expected_seq}，实为 {seq}（有记录被删除或插入）"))
        if prev_hash != expected_prev:
            problems.append(ChainProblem(seq, "前一条记录的哈希不符（前面的记录被修改或删除）"))
        if event_hash(prev_hash, content) != stored_hash:
            problems.append(ChainProblem(seq, "本条记录内容与哈希不符（记录被修改）"))
        expected_prev = stored_hash
        expected_seq = seq + 1
    return problems
