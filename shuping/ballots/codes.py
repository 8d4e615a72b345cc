"""Grade codes and token/receipt code generation. Pure, no Django models.

A ballot's grades are one character per reporter position on the ballot:
'0' 弃权, '1' 好, '2' 较好, '3' 一般, '4' 差 (the scheme's ballot_grades in order).
Per-item grades use the same characters, reporter-major: position * n_items + item.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ABSTAIN = "0"
GRADE_CHARS = "1234"  # index i ↔ scheme["ballot_grades"][i]
VALID_CHARS = frozenset(ABSTAIN + GRADE_CHARS)
GRADE_LABELS = {"0": "弃权", "1": "好", "2": "较好", "3": "一般", "4": "差"}
BAD = "4"

# Short codes avoid look-alikes (0/O, 1/I/L) so they can be typed from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols
CODE_LENGTH = 8  # 31**8 ≈ 8.5e11 ≈ 39.6 bits; guessing is rate-limited


def new_secret() -> str:
    """The token in the QR code: 128 bits of randomness."""
    return secrets.token_urlsafe(16)


def new_key_id() -> str:
    """The name of a ballot box's current urn key (shuping.ballots.urn): 128 random bits, hex."""
    return secrets.token_hex(16)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """What a voter or teller typed → the stored form: upper case, spaces and dashes dropped.

    The alphabet has no 0/O/1/I/L, so there is no look-alike to undo."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def submission_hash(nonce: str) -> str:
    return hashlib.sha256(("submission:" + nonce).encode()).hexdigest()


def receipt_for(nonce: str, key: str) -> str:
    """The voter's receipt: derived from the page's one-time nonce, so a retry shows the same receipt,
    and nothing stored on the token (only sha256 of the nonce) leads to it."""
    digest = hmac.new(key.encode(), ("receipt:" + nonce).encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest[:8], "big")
    out = []
    for _ in range(10):
        n, r = divmod(n, len(CODE_ALPHABET))
        out.append(CODE_ALPHABET[r])
    return "".join(out)
