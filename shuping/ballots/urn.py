"""The sealed urn (封箱即混洗): what a cast stores while the box is open, and the seal that turns it into ballots.

A cast claims its token and inserts one `EncryptedBallot` in the same transaction (casting.py), so on
PostgreSQL both rows carry the same xmin, and in every database they are written at the same moment. That
row holds only ciphertext (urn_rules) under the box's current urn key. At 封箱 `seal` — in ONE transaction,
inside the caller's, with the box row locked — decrypts every encrypted row in memory, writes the ballots,
the comments and the receipts as three separately shuffled sets of new rows with fresh random ids, deletes
the encrypted rows and names a new key; when that transaction has committed, the old key's file is deleted.
After that the only copies of the encrypted rows (dead tuples, old WAL, backups taken during voting) are
ciphertext whose key no longer exists, and the plaintext rows were all written by one transaction in an
order that has nothing to do with the order of voting.

Where the key lives while the box is open: a file of 32 random bytes, `<key id>.key` in
settings.URN_KEY_DIR (default `$SHUPING_DATA_DIR/urn-keys`, mode 0600 in a 0700 folder) on the application
server — never in the database and never in `shuping backup`. The AES key is derived from that file and
the deployment's SECRET_KEY together (urn_rules.derive_key), so a database administrator with every table,
WAL segment and backup still reads nothing, and neither does someone who has only the key file. Worker
processes keep the derived key in memory once they have used it. Splitting the key between organiser and
observer was considered and not taken: a share forgotten at the meeting would lose every ballot in the urn,
and "nothing acknowledged is lost" is as much a promise as secrecy.

Key files are created on first use (atomically: link(2) of a fully written file, so two workers agree on
one key) and made durable (fsync) before the first ballot under them commits. The seal records the old
key's name in `retired_key_id` in the same transaction; `sweep` deletes retired files that a process
killed between commit and unlink left behind (run by every seal and by `shuping serve` at start).
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from shuping.ballots import codes, urn_rules
from shuping.ballots.models import Ballot, BallotBox, BallotComment, BallotReceipt, EncryptedBallot
from shuping.ballots.urn_rules import UrnBallot

MISSING_KEY = ("票箱密钥文件缺失（{path}），无法解密票箱内的 {n} 张选票：请从应用服务器的备份恢复该文件后再封箱，"
               "切勿删除票箱数据")
CORRUPT = "票箱内有 {n} 张选票无法用本票箱的密钥解密（数据被改动或来自其他票箱），封箱已中止，未做任何改动"

# Derived keys by key id, per process (bounded; a retired key is dropped where it was retired).
_CIPHERS: dict[str, AESGCM] = {}
_MAX_CIPHERS = 64


def key_dir() -> Path:
    return Path(settings.URN_KEY_DIR)


def key_path(key_id: str) -> Path:
    if not (len(key_id) == 32 and all(c in "0123456789abcdef" for c in key_id)):
        raise ValueError("bad urn key id")
    return key_dir() / f"{key_id}.key"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_key_file(path: Path) -> None:
    """Write 32 random bytes to a temporary file, fsync it, then link it into place: link(2) fails if another
    process got there first, so every process ends up reading the same key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, os.urandom(urn_rules.KEY_FILE_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    _fsync_dir(path.parent)


def cipher(key_id: str, create: bool = False) -> AESGCM | None:
    """The AES-GCM cipher of urn key `key_id`; None when its file does not exist (and `create` is false)."""
    if (c := _CIPHERS.get(key_id)) is not None:
        return c
    path = key_path(key_id)
    if not path.exists():
        if not create:
            return None
        _create_key_file(path)
    c = AESGCM(urn_rules.derive_key(path.read_bytes(), settings.SECRET_KEY, key_id))
    if len(_CIPHERS) >= _MAX_CIPHERS:
        _CIPHERS.clear()
    _CIPHERS[key_id] = c
    return c


def plaintext_size(box: BallotBox, n_lines: int) -> int:
    return urn_rules.plaintext_size(n_lines, len(box.items), box.comments_enabled, box.comment_max_chars)


def encrypt(box: BallotBox, n_lines: int, ballot: UrnBallot) -> bytes:
    """The blob to store for `ballot` under the box's current key (created on first use)."""
    c = cipher(box.urn_key_id, create=True)
    assert c is not None
    return urn_rules.encrypt(c, box.pk, box.urn_key_id, urn_rules.pack(ballot, plaintext_size(box, n_lines)))


# ---------------------------------------------------------------- the seal


@dataclass(frozen=True)
class Seal:
    ballots: int  # sealed by this seal
    comments: int
    total: int  # sealed ballots of the box after it
    digest: str  # urn_rules.digest of the box's whole sealed set after it
    retired_key: str

    def as_data(self) -> dict[str, object]:
        return {"sealed": self.ballots, "comments": self.comments, "total": self.total, "digest": self.digest}


def unsealed_count(box: BallotBox) -> int:
    return EncryptedBallot.objects.filter(box_id=box.pk).count()


def _open_all(box: BallotBox) -> list[UrnBallot]:
    rows = list(EncryptedBallot.objects.filter(box_id=box.pk).values_list("key_id", "blob"))
    out, bad = [], 0
    for key_id, blob in rows:
        c = cipher(key_id)
        if c is None:
            n = sum(1 for k, _ in rows if k == key_id)
            raise ValidationError(MISSING_KEY.format(path=key_path(key_id), n=n))
        try:
            out.append(urn_rules.unpack(urn_rules.decrypt(c, box.pk, key_id, bytes(blob))))
        except InvalidTag:
            bad += 1
    if bad:
        raise ValidationError(CORRUPT.format(n=bad))
    return out


def sealed_digest(box: BallotBox) -> str:
    return urn_rules.digest(
        Ballot.objects.filter(box_id=box.pk).values_list("group", "grades", "item_grades").iterator(chunk_size=10_000),
        BallotComment.objects.filter(box_id=box.pk).values_list("text", flat=True),
        BallotReceipt.objects.filter(box_id=box.pk).values_list("receipt", flat=True))


def seal(box: BallotBox) -> Seal:
    """Decrypt the urn, store its ballots shuffled, delete the encrypted rows, retire the key.

    Call inside transaction.atomic() with `box` re-read under FOR UPDATE (ballots/actions/setup.py): the lock
    waits for casts in flight (each holds a KEY SHARE lock on the box row) and makes later ones re-check the
    key name and fail, so no ballot can land under a key after its seal. `box` is updated in place."""
    sweep()
    opened = _open_all(box)
    rng = secrets.SystemRandom()
    rng.shuffle(opened)
    ballots = [Ballot(id=uuid.uuid4(), box_id=box.pk, group=b.group, grades=b.grades, item_grades=b.item_grades)
               for b in opened]
    comments = [b.comment for b in opened if b.comment]
    receipts = [b.receipt for b in opened]
    rng.shuffle(comments)
    rng.shuffle(receipts)
    Ballot.objects.bulk_create(ballots, batch_size=5000)
    BallotComment.objects.bulk_create([BallotComment(id=uuid.uuid4(), box_id=box.pk, text=t) for t in comments],
                                      batch_size=5000)
    BallotReceipt.objects.bulk_create([BallotReceipt(id=uuid.uuid4(), box_id=box.pk, receipt=r) for r in receipts],
                                      batch_size=5000)
    EncryptedBallot.objects.filter(box_id=box.pk).delete()
    retired = box.urn_key_id
    box.urn_key_id, box.retired_key_id = codes.new_key_id(), retired
    BallotBox.objects.filter(pk=box.pk).update(urn_key_id=box.urn_key_id, retired_key_id=retired)
    transaction.on_commit(lambda: destroy_key(box.pk, retired))
    return Seal(ballots=len(ballots), comments=len(comments), total=Ballot.objects.filter(box_id=box.pk).count(),
                digest=sealed_digest(box), retired_key=retired)


def destroy_key(box_id: int, key_id: str) -> None:
    """Delete a retired key's file (after the seal committed) and forget it here."""
    _CIPHERS.pop(key_id, None)
    path = key_path(key_id)
    try:
        path.unlink()
        _fsync_dir(path.parent)
    except FileNotFoundError:
        pass
    BallotBox.objects.filter(pk=box_id, retired_key_id=key_id).update(retired_key_id="")


def sweep() -> int:
    """Delete the files of keys retired by a seal whose process died before deleting them. Returns how many."""
    rows = list(BallotBox.objects.exclude(retired_key_id="").values_list("pk", "retired_key_id"))
    for box_id, key_id in rows:
        destroy_key(box_id, key_id)
    return len(rows)
