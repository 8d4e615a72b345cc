"""Drawing by lot (抽签), replayable from its seed. Pure, no Django models."""

from __future__ import annotations

import random
import secrets


def new_seed() -> str:
    return secrets.token_hex(8)


def draw(candidates: list[str], count: int, seed: str) -> list[str]:
    """Pick `count` of the candidate codes in drawn order. Same seed and candidates → same draw."""
    if not 0 <= count <= len(candidates):
        raise ValueError(f"抽取人数应在 0 到 {len(candidates)} 之间")
    return random.Random(seed).sample(sorted(candidates), count)
