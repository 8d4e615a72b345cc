"""The sealed urn's pure parts: a ballot's fixed-size plaintext, its AES-GCM encryption, the sealed-set digest.

No Django, no files: shuping.ballots.urn keeps the keys and runs the seal. Why each choice:
- One blob per ballot holding group, grades, item grades, comment and receipt, padded to a size fixed by the
  box (its reporters, items and comment limit), so the stored length says nothing about the comment — a
  comment's length would otherwise link the encrypted row (same transaction as its token) to the sealed
  comment.
- AES-256-GCM with a random 96-bit nonce per ballot; the box id and key name are authenticated data, so a
  blob cannot be moved to another box or epoch unnoticed.
- The AES key is HKDF-SHA256 of the key file's 32 random bytes, salted with the deployment secret: the file
  alone, or the secret alone, decrypts nothing.
- The digest of a sealed set is over sorted lines, so anyone holding the observer's export (shuffled rows,
  sorted receipts, shuffled comments) recomputes it without knowing any order.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_FILE_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
RECEIPT_BYTES = 12  # receipts are 10 ASCII characters (codes.receipt_for); room to spare
_HEADER = struct.Struct(">HHHHI")  # group, len(grades), len(item_grades), len(receipt), len(comment bytes)
MAX_UTF8 = 4  # bytes per character at most


@dataclass(frozen=True)
class UrnBallot:
    group: int
    grades: str
    item_grades: str
    comment: str
    receipt: str


def plaintext_size(n_lines: int, n_items: int, comments_enabled: bool, comment_max_chars: int) -> int:
    """The one plaintext size of every ballot of a box: the largest ballot it can hold."""
    comment = MAX_UTF8 * comment_max_chars if comments_enabled else 0
    return _HEADER.size + n_lines + n_lines * n_items + RECEIPT_BYTES + comment


def pack(ballot: UrnBallot, size: int) -> bytes:
    parts = [ballot.grades.encode("ascii"), ballot.item_grades.encode("ascii"), ballot.receipt.encode("ascii"),
             ballot.comment.encode("utf-8")]
    body = _HEADER.pack(ballot.group, *(len(p) for p in parts)) + b"".join(parts)
    if len(body) > size:
        raise ValueError(f"ballot of {len(body)} bytes does not fit the box's {size}")
    return body + bytes(size - len(body))


def unpack(raw: bytes) -> UrnBallot:
    group, *lengths = _HEADER.unpack_from(raw)
    parts, at = [], _HEADER.size
    for n in lengths:
        parts.append(raw[at:at + n])
        at += n
    grades, item_grades, receipt, comment = parts
    return UrnBallot(group=group, grades=grades.decode("ascii"), item_grades=item_grades.decode("ascii"),
                     comment=comment.decode("utf-8"), receipt=receipt.decode("ascii"))


def derive_key(key_file: bytes, secret: str, key_id: str) -> bytes:
    if len(key_file) != KEY_FILE_BYTES:
        raise ValueError("urn key file has the wrong length")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=secret.encode(),
                info=b"shuping-urn:" + key_id.encode()).derive(key_file)


def associated_data(box_id: int, key_id: str) -> bytes:
    return f"ballot-box:{box_id}:{key_id}".encode()


def encrypt(cipher: AESGCM, box_id: int, key_id: str, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, plaintext, associated_data(box_id, key_id))


def decrypt(cipher: AESGCM, box_id: int, key_id: str, blob: bytes) -> bytes:
    """Raises cryptography.exceptions.InvalidTag for a wrong key, another box's blob or a changed byte."""
    return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data(box_id, key_id))


def digest(ballots: Iterable[tuple[int, str, str]], comments: Iterable[str], receipts: Iterable[str]) -> str:
    """SHA-256 of a box's sealed set, independent of any order: sorted ballot lines (group, grades, item
    grades), then sorted comments, then sorted receipts; each section counted and each entry length-prefixed
    (a comment may hold line breaks). Item grades that are all 弃权 count as none, as the export writes them."""
    h = hashlib.sha256()
    for name, lines in (("ballots", sorted(f"{g}|{gr}|{it if it.strip('0') else ''}" for g, gr, it in ballots)),
                        ("comments", sorted(comments)), ("receipts", sorted(receipts))):
        h.update(f"{name}:{len(lines)}\n".encode())
        for line in lines:
            raw = line.encode("utf-8")
            h.update(f"{len(raw)}:".encode() + raw)
    return h.hexdigest()
