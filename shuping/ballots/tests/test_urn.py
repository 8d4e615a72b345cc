"""The sealed urn (封箱即混洗), tried the way an attacker or a database administrator would.

Before 封箱 the database holds ciphertext only; the key is a file outside it. At 封箱 one transaction writes
the plaintext ballots, comments and receipts apart and shuffled, and the key is destroyed. The PostgreSQL
tests read the system columns (xmin, cmin, ctid) a DBA would join on, and kill -9 a seal half way.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from shuping.accounts.models import Role, User
from shuping.audit.models import AuditEvent
from shuping.ballots import counting, urn, urn_rules
from shuping.ballots.actions import paper, setup
from shuping.ballots.casting import TokenRefused, cast
from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotComment,
    BallotReceipt,
    BallotToken,
    BoxState,
    EncryptedBallot,
    TokenStatus,
)
from shuping.ballots.urn_rules import UrnBallot
from shuping.conftest import make_user

ROOT = Path(__file__).resolve().parents[3]
IS_PG = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(not IS_PG, reason="需要 PostgreSQL（系统列 xmin/ctid）")

# Three reporters: 20 distinct grade strings, one per token of the `box` fixture, cast in this order.
GRADES = ["111", "112", "113", "114", "121", "122", "123", "124", "131", "132",
          "133", "134", "141", "142", "143", "144", "211", "212", "213", "214"]


def tokens_of(box) -> list[BallotToken]:
    return list(BallotToken.objects.select_related("box").filter(box=box).order_by("serial"))


def cast_all(box, n: int = 20, comments: bool = True) -> list[str]:
    """Phones cast GRADES[:n] in order, every third with a comment of varying length. Returns receipts."""
    receipts = []
    for i, t in enumerate(tokens_of(box)[:n]):
        comment = ("评语〇" * (i + 1)) if comments and i % 3 == 0 else ""
        receipts.append(cast(t, "phone", GRADES[i], comment=comment, nonce=f"nonce-{i}").receipt)
    return receipts


def close(box, users) -> BallotBox:
    setup.close_box(users.organiser, box)
    return box


# ---------------------------------------------------------------- pure rules


def test_every_ballot_of_a_box_packs_to_the_same_size_whatever_its_comment():
    size = urn_rules.plaintext_size(n_lines=3, n_items=2, comments_enabled=True, comment_max_chars=500)
    short = UrnBallot(group=1, grades="124", item_grades="", comment="", receipt="ABCDEFGHJK")
    long = UrnBallot(group=0, grades="000", item_grades="121134", comment="很" * 500, receipt="ZZZZZZZZZZ")
    for b in (short, long):
        raw = urn_rules.pack(b, size)
        assert len(raw) == size and urn_rules.unpack(raw) == b
    with pytest.raises(ValueError):
        urn_rules.pack(UrnBallot(0, "111", "", "很" * 501 * 4, "ABCDEFGHJK"), size)


def test_a_blob_opens_only_with_its_key_box_and_key_name():
    key = urn_rules.derive_key(b"k" * 32, "secret", "a" * 32)
    blob = urn_rules.encrypt(AESGCM(key), 7, "a" * 32, b"payload")
    assert urn_rules.decrypt(AESGCM(key), 7, "a" * 32, blob) == b"payload"
    other_secret = urn_rules.derive_key(b"k" * 32, "another-secret", "a" * 32)
    other_file = urn_rules.derive_key(b"j" * 32, "secret", "a" * 32)
    for cipher, box_id in ((AESGCM(other_secret), 7), (AESGCM(other_file), 7), (AESGCM(key), 8)):
        with pytest.raises(InvalidTag):
            urn_rules.decrypt(cipher, box_id, "a" * 32, blob)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(InvalidTag):
        urn_rules.decrypt(AESGCM(key), 7, "a" * 32, tampered)


def test_the_digest_ignores_order_but_not_content():
    ballots = [(0, "124", ""), (1, "111", "000000"), (0, "000", "121134")]
    d = urn_rules.digest(ballots, ["甲", "乙"], ["R2", "R1"])
    assert d == urn_rules.digest(list(reversed(ballots)), ["乙", "甲"], ["R1", "R2"])
    assert d == urn_rules.digest([(0, "124", ""), (1, "111", ""), (0, "000", "121134")], ["甲", "乙"], ["R1", "R2"])
    assert d != urn_rules.digest([*ballots[:2], (0, "000", "121133")], ["甲", "乙"], ["R1", "R2"])
    # A line break inside a comment cannot pass for two comments.
    assert urn_rules.digest([], ["a\nb", "c"], []) != urn_rules.digest([], ["a", "b\nc"], [])


# ---------------------------------------------------------------- while the box is open


def test_before_sealing_the_database_holds_only_ciphertext_of_one_size(box):
    receipts = cast_all(box)
    rows = list(EncryptedBallot.objects.filter(box=box).values_list("key_id", "blob"))
    assert len(rows) == 20 and not Ballot.objects.exists() and not BallotComment.objects.exists()
    assert {k for k, _ in rows} == {box.urn_key_id}
    assert len({len(bytes(b)) for _, b in rows}) == 1  # comment lengths differ; stored sizes do not
    everything = b"".join(bytes(b) for _, b in rows)
    # No ballot's packed plaintext (header, grades, receipt: 25 bytes), no receipt and no comment text shows.
    # (A bare 3-character grade string would turn up in 42 kB of random bytes by chance now and then.)
    size = urn.plaintext_size(box, 3)
    for i, receipt in enumerate(receipts):
        comment = ("评语〇" * (i + 1)) if i % 3 == 0 else ""
        packed = urn_rules.pack(UrnBallot(group=0 if i < 10 else 1, grades=GRADES[i], item_grades="",
                                          comment=comment, receipt=receipt), size)
        assert packed[:25] not in everything
    for plain in [*receipts, "评语〇"]:
        assert plain.encode() not in everything
    # With the deployment secret but without the key file, nothing opens.
    guess = AESGCM(urn_rules.derive_key(bytes(32), settings.SECRET_KEY, box.urn_key_id))
    with pytest.raises(InvalidTag):
        urn_rules.decrypt(guess, box.pk, box.urn_key_id, bytes(rows[0][1]))


def test_the_key_lives_in_a_private_file_outside_the_database_and_the_backup(box, tmp_path):
    from shuping.core.backup import create_backup

    cast_all(box, 3)
    path = urn.key_path(box.urn_key_id)
    assert path.parent == Path(settings.URN_KEY_DIR) and path.exists()
    assert (path.stat().st_mode & 0o777) == 0o600 and (path.parent.stat().st_mode & 0o777) == 0o700
    key_file = path.read_bytes()
    derived = urn_rules.derive_key(key_file, settings.SECRET_KEY, box.urn_key_id)
    # No table holds the key file or the derived key, in any encoding.
    dump = json.dumps({m: list(model.objects.values()) for m, model in (
        ("box", BallotBox), ("tokens", BallotToken), ("urn", EncryptedBallot), ("audit", AuditEvent))},
        default=lambda v: bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v))
    assert key_file.hex() not in dump and derived.hex() not in dump
    backup = tmp_path / "backup.zip"
    create_backup(backup)
    with zipfile.ZipFile(backup) as zf:
        assert not [n for n in zf.namelist() if "urn-keys" in n or n.endswith(".key")]
        content = b"".join(zf.read(n) for n in zf.namelist())
    assert key_file not in content and key_file.hex().encode() not in content


# ---------------------------------------------------------------- the seal


def test_the_seal_stores_ballots_comments_and_receipts_apart_and_destroys_the_key(
        box, users, django_capture_on_commit_callbacks):
    receipts = cast_all(box)
    before = list(EncryptedBallot.objects.values_list("blob", flat=True))  # what a backup taken now holds
    old_key = box.urn_key_id
    old_path = urn.key_path(old_key)
    with django_capture_on_commit_callbacks(execute=True):
        close(box, users)
    assert sorted(Ballot.objects.values_list("grades", flat=True)) == sorted(GRADES)
    assert sorted(BallotReceipt.objects.values_list("receipt", flat=True)) == sorted(receipts)
    assert sorted(BallotComment.objects.values_list("text", flat=True)) == sorted(
        "评语〇" * (i + 1) for i in range(0, 20, 3))
    assert not EncryptedBallot.objects.exists()
    # The key is gone: its file, this process's cache, and with them every copy of the ciphertext.
    assert not old_path.exists() and urn.cipher(old_key) is None
    box.refresh_from_db()
    assert box.urn_key_id != old_key and box.retired_key_id == ""
    leftovers = [p.read_bytes() for p in Path(settings.URN_KEY_DIR).glob("*.key")]
    for key_file in [*leftovers, bytes(32)]:
        guess = AESGCM(urn_rules.derive_key(key_file, settings.SECRET_KEY, old_key))
        with pytest.raises(InvalidTag):
            urn_rules.decrypt(guess, box.pk, old_key, bytes(before[0]))


def test_the_seal_is_audited_with_counts_and_a_digest_the_export_reproduces(box, users):
    cast_all(box)
    first_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    close(box, users)
    events = list(AuditEvent.objects.filter(seq__gt=first_seq).order_by("seq"))
    assert [e.action for e in events] == ["ballot.close", "ballot.seal"]
    seal = events[1]
    assert seal.data["sealed"] == 20 and seal.data["comments"] == 7 and seal.data["total"] == 20
    export = counting.export_ballots(box)
    # The observer recomputes it from the export alone (labels back to grade characters).
    names = counting.group_names(box)
    rebuilt = counting.rows_to_ballots(export.header, export.rows, names)
    assert urn_rules.digest(rebuilt, export.comments, export.receipts) == seal.data["digest"]
    text = json.dumps([[e.summary, e.data] for e in events], ensure_ascii=False)
    assert not [g for g in GRADES if f'"{g}"' in text] and "评语〇" not in text


def test_a_cast_that_read_the_box_before_the_seal_is_refused_after_it(box, users):
    late = tokens_of(box)[0]  # read while voting was open
    close(box, users)
    with pytest.raises(TokenRefused) as e:
        cast(late, "phone", "111", nonce="late")
    assert e.value.reason == TokenRefused.CLOSED
    assert not EncryptedBallot.objects.exists() and BallotToken.objects.get(pk=late.pk).status == TokenStatus.ISSUED


def test_a_cast_that_read_the_box_before_a_seal_and_reopen_goes_under_the_new_key(box, users):
    cast_all(box, 2)
    late = tokens_of(box)[5]
    stale_key = late.box.urn_key_id
    close(box, users)
    setup.reopen_box(users.organiser, box, "部分代表迟到")
    result = cast(late, "phone", "444", nonce="late")
    [row] = EncryptedBallot.objects.all()
    assert row.key_id == BallotBox.objects.get(pk=box.pk).urn_key_id and row.key_id != stale_key
    close(box, users)
    assert sorted(Ballot.objects.values_list("grades", flat=True)) == sorted([*GRADES[:2], "444"])
    assert result.receipt in set(BallotReceipt.objects.values_list("receipt", flat=True))


def test_paper_keyed_after_the_seal_waits_in_the_urn_until_the_tellers_seal_it(box, users):
    cast_all(box, 4)
    close(box, users)
    teller_b = make_user("teller_b", Role.TELLER)
    sheet = tokens_of(box)[10]
    paper.key_sheet(users.teller, sheet, "333")
    paper.key_sheet(teller_b, tokens_of(box)[10], "333")
    assert EncryptedBallot.objects.count() == 1 and Ballot.objects.count() == 4
    r = counting.reconciliation(box)
    assert (r.ballots, r.unsealed, r.paper) == (5, 1, 1) and r.blocking
    assert setup.FLAG_UNSEALED in r.blocking[0]
    with pytest.raises(ValidationError, match="不能公布"):
        setup.publish_box(users.organiser, box)
    for outsider in (users.observer, users.chair):
        with pytest.raises(PermissionDenied):
            setup.seal_paper(outsider, box)
    s = setup.seal_paper(teller_b, box)
    assert (s.ballots, s.total) == (1, 5) and not EncryptedBallot.objects.exists()
    assert "333" in Ballot.objects.values_list("grades", flat=True)
    with pytest.raises(ValidationError, match="没有待封存的纸质票"):
        setup.seal_paper(users.organiser, box)
    setup.publish_box(users.organiser, box)
    assert BallotBox.objects.get(pk=box.pk).state == BoxState.PUBLISHED


def test_a_missing_key_file_refuses_the_seal_and_keeps_every_ballot(box, users, django_capture_on_commit_callbacks):
    cast_all(box, 5)
    path = urn.key_path(box.urn_key_id)
    kept = path.read_bytes()
    path.unlink()
    urn._CIPHERS.clear()  # as in a fresh worker
    with pytest.raises(ValidationError, match="密钥文件缺失"):
        close(box, users)
    assert BallotBox.objects.get(pk=box.pk).state == BoxState.OPEN and EncryptedBallot.objects.count() == 5
    path.write_bytes(kept)  # restored from the server's file backup
    with django_capture_on_commit_callbacks(execute=True):
        close(box, users)
    assert Ballot.objects.count() == 5 and not path.exists()


def test_a_changed_blob_refuses_the_seal_and_changes_nothing(box, users):
    cast_all(box, 3)
    row = EncryptedBallot.objects.first()
    blob = bytes(row.blob)
    EncryptedBallot.objects.filter(pk=row.pk).update(blob=blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(ValidationError, match="无法用本票箱的密钥解密"):
        close(box, users)
    assert BallotBox.objects.get(pk=box.pk).state == BoxState.OPEN
    assert EncryptedBallot.objects.count() == 3 and not Ballot.objects.exists()


def test_sweep_deletes_a_retired_key_left_by_a_crash(box):
    path = urn.key_path("f" * 32)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_bytes(bytes(32))
    BallotBox.objects.filter(pk=box.pk).update(retired_key_id="f" * 32)
    assert urn.sweep() == 1
    assert not path.exists() and BallotBox.objects.get(pk=box.pk).retired_key_id == ""


def test_voting_and_sealing_write_nothing_to_the_logs(box, users, caplog):
    t = tokens_of(box)[0]
    with caplog.at_level(logging.DEBUG):
        html = Client().post(reverse("vote:submit", args=[t.secret]),
                             {"nonce": "log-nonce-abcdefgh", "grades": "124", "comment": "日志意见"}).content.decode()
        close(box, users)
    receipt = BallotReceipt.objects.get().receipt
    assert receipt in html
    for secret in (t.secret, t.code, receipt, "日志意见", "log-nonce-abcdefgh"):
        assert secret not in caplog.text


# ---------------------------------------------------------------- what a DBA sees (PostgreSQL)


def system_columns(table: str, box_id: int, where: str = "") -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text, cmin::text, ctid::text FROM {table} WHERE box_id = %s {where} "
                       "ORDER BY ctid", [box_id])
        return cursor.fetchall()


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_after_sealing_no_system_column_links_a_ballot_comment_or_receipt_to_a_token(box, users):
    cast_all(box)
    tokens = system_columns("ballots_ballottoken", box.pk, "AND status = 'used'")
    token_xmins = {x for x, _, _ in tokens}
    # What a DBA gets during voting: each encrypted row shares its token's transaction — and is ciphertext.
    assert {x for x, _, _ in system_columns("ballots_encryptedballot", box.pk)} == token_xmins
    close(box, users)
    for table in ("ballots_ballot", "ballots_ballotcomment", "ballots_ballotreceipt"):
        rows = system_columns(table, box.pk)
        assert rows and not {x for x, _, _ in rows} & token_xmins, table
        assert len({x for x, _, _ in rows}) == 1, table  # all written by the one sealing transaction
        assert len({c for _, c, _ in rows}) == 1, table  # by one statement: command ids say nothing either
    # Physical order (ctid) of the sealed ballots is not the order the tokens were used.
    with connection.cursor() as cursor:
        cursor.execute("SELECT grades FROM ballots_ballot WHERE box_id = %s ORDER BY ctid", [box.pk])
        by_ctid = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT grades FROM ballots_ballot WHERE box_id = %s ORDER BY id", [box.pk])
        by_id = [r[0] for r in cursor.fetchall()]
    assert sorted(by_ctid) == sorted(GRADES)
    for order in (by_ctid, by_id):
        assert order not in (GRADES, list(reversed(GRADES)))
    # No column of the sealed tables beyond the box and the content (no created/updated/sequence columns).
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_name IN "
                       "('ballots_ballot', 'ballots_ballotcomment', 'ballots_ballotreceipt') ORDER BY 1, 2")
        cols = cursor.fetchall()
    assert cols == [("ballots_ballot", "box_id"), ("ballots_ballot", "grades"), ("ballots_ballot", "group"),
                    ("ballots_ballot", "id"), ("ballots_ballot", "item_grades"),
                    ("ballots_ballotcomment", "box_id"), ("ballots_ballotcomment", "id"),
                    ("ballots_ballotcomment", "text"),
                    ("ballots_ballotreceipt", "box_id"), ("ballots_ballotreceipt", "id"),
                    ("ballots_ballotreceipt", "receipt")]


_CHILD = """
import sys, time
import django
django.setup()
from shuping.accounts.models import User
from shuping.ballots import urn
from shuping.ballots.actions import setup
from shuping.ballots.models import BallotBox

box_id, user_id, where = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def stop_here(*args, **kwargs):
    print("PAUSED", flush=True)
    time.sleep(120)

if where == "before-commit":
    urn.sealed_digest = stop_here  # runs after every write of the seal, before the commit
else:
    urn.destroy_key = stop_here  # runs after the commit, before the key file is deleted
setup.close_box(User.objects.get(pk=user_id), BallotBox.objects.get(pk=box_id))
"""


def kill_seal_half_way(box, user, where: str) -> None:
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shuping.settings", "SHUPING_SECRET_KEY": settings.SECRET_KEY,
           "SHUPING_DATA_DIR": str(settings.DATA_DIR), "SHUPING_URN_KEY_DIR": str(settings.URN_KEY_DIR),
           "SHUPING_DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(box.pk), str(user.pk), where], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.strip() == "PAUSED", (line, child.stderr.read() if child.stderr else "")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_kill_9_inside_the_seal_leaves_the_old_state_whole_and_a_second_seal_finishes(box, users):
    receipts = cast_all(box)
    key_path = urn.key_path(box.urn_key_id)
    kill_seal_half_way(box, users.organiser, "before-commit")
    box.refresh_from_db()
    assert box.state == BoxState.OPEN and EncryptedBallot.objects.count() == 20
    assert not Ballot.objects.exists() and not BallotReceipt.objects.exists() and key_path.exists()
    assert not AuditEvent.objects.filter(action__in=["ballot.close", "ballot.seal"]).exists()
    close(box, users)
    assert sorted(BallotReceipt.objects.values_list("receipt", flat=True)) == sorted(receipts)
    assert Ballot.objects.count() == 20 and not EncryptedBallot.objects.exists() and not key_path.exists()


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_kill_9_after_the_seal_committed_leaves_the_sealed_state_and_sweep_destroys_the_key(box, users):
    receipts = cast_all(box)
    old_key = box.urn_key_id
    kill_seal_half_way(box, users.organiser, "after-commit")
    box.refresh_from_db()
    assert box.state == BoxState.CLOSED and box.retired_key_id == old_key
    assert sorted(BallotReceipt.objects.values_list("receipt", flat=True)) == sorted(receipts)
    assert Ballot.objects.count() == 20 and not EncryptedBallot.objects.exists()
    assert urn.key_path(old_key).exists()  # the one thing the crash left behind…
    assert urn.sweep() == 1  # …which the next seal or `shuping serve` removes
    assert not urn.key_path(old_key).exists() and BallotBox.objects.get(pk=box.pk).retired_key_id == ""


# ---------------------------------------------------------------- 封存纸质票 on the pages and the API


@pytest.fixture
def paper_after_close(box, users) -> BallotBox:
    """Four phone ballots sealed at 封箱, then one paper sheet keyed by two tellers: waiting in the urn."""
    cast_all(box, 4)
    close(box, users)
    paper.key_sheet(users.teller, tokens_of(box)[10], "333")
    paper.key_sheet(make_user("teller_b", Role.TELLER), tokens_of(box)[10], "333")
    return box


def test_the_tellers_bench_offers_the_seal_and_it_counts_the_sheets(paper_after_close, users, client_for):
    box = paper_after_close
    c = client_for(users.teller)
    page = c.get(reverse("ballots:paper_bench", args=[box.pk])).content.decode()
    assert 'data-testid="seal-panel"' in page and "封箱后录入的纸质票 1 张尚未封存" in page
    r = c.post(reverse("ballots:paper_seal", args=[box.pk]), follow=True)
    assert "已封存纸质票 1 张，计入计票结果（本票箱选票共 5 张）" in r.content.decode()
    assert not EncryptedBallot.objects.exists() and Ballot.objects.count() == 5
    assert 'data-testid="seal-panel"' not in c.get(reverse("ballots:paper_bench", args=[box.pk])).content.decode()


def test_the_organiser_seals_from_the_box_page(paper_after_close, users, client_for):
    box = paper_after_close
    c = client_for(users.organiser)
    page = c.get(reverse("ballots:setup", args=[box.pk])).content.decode()
    assert "封存纸质票（1 张）" in page and setup.FLAG_UNSEALED in page
    r = c.post(reverse("ballots:paper_seal", args=[box.pk]), {"next": "setup"})
    assert r.status_code == 302 and r.url == reverse("ballots:setup", args=[box.pk])
    assert Ballot.objects.count() == 5
    assert "封存纸质票（" not in c.get(reverse("ballots:setup", args=[box.pk])).content.decode()


@pytest.mark.parametrize("who", ["observer", "chair", "judge", "reporter", "admin"])
def test_others_may_not_seal(paper_after_close, users, client_for, who):
    r = client_for(getattr(users, who)).post(reverse("ballots:paper_seal", args=[paper_after_close.pk]))
    assert r.status_code == 403 and EncryptedBallot.objects.count() == 1


def test_anonymous_users_are_sent_to_log_in_to_seal(paper_after_close, client):
    r = client.post(reverse("ballots:paper_seal", args=[paper_after_close.pk]))
    assert r.status_code == 302 and "/login" in r.url and EncryptedBallot.objects.count() == 1


def test_the_seal_api_for_tellers(paper_after_close, users):
    from shuping.accounts.actions import create_token

    def api(user) -> Client:
        return Client(headers={"Authorization": f"Bearer {create_token(user, 'test')[1]}"})

    url = f"/api/ballots/boxes/{paper_after_close.pk}/paper/seal"
    assert api(users.observer).post(url).status_code == 403
    progress = api(users.teller).get(f"/api/ballots/boxes/{paper_after_close.pk}/paper/progress").json()
    assert progress["unsealed"] == 1
    r = api(users.teller).post(url)
    assert r.status_code == 200 and (r.json()["sealed"], r.json()["total"]) == (1, 5)
    assert r.json()["digest"] == AuditEvent.objects.filter(action="ballot.seal").latest("seq").data["digest"]
    again = api(users.organiser).post(url)
    assert again.status_code == 422 and "没有待封存的纸质票" in again.json()["errors"][0]


def test_a_backup_taken_during_voting_holds_ciphertext_that_restores_and_seals(box, users, tmp_path):
    from shuping.core.backup import create_backup, restore_backup
    from shuping.core.tests.test_backup import wipe

    receipts = cast_all(box, 6)
    blobs = sorted(bytes(b) for b in EncryptedBallot.objects.values_list("blob", flat=True))
    file = tmp_path / "during-voting.zip"
    create_backup(file)
    with zipfile.ZipFile(file) as zf:
        data = zf.read("data.json").decode()
    assert '"ballots.encryptedballot"' in data and '"ballots.ballot"' not in data.split('"ballots.encryptedballot"')[0]
    assert not [r for r in receipts if r in data] and "评语〇" not in data
    wipe()
    restore_backup(file, record_event=False)
    assert sorted(bytes(b) for b in EncryptedBallot.objects.values_list("blob", flat=True)) == blobs
    # Restored on the server that holds the urn key, the box seals as if nothing had happened.
    setup.close_box(User.objects.get(username=users.organiser.username), BallotBox.objects.get(pk=box.pk))
    assert sorted(BallotReceipt.objects.values_list("receipt", flat=True)) == sorted(receipts)


def test_the_observer_reads_the_seal_digest_on_the_results_page_and_in_the_api(box, users, client_for):
    from shuping.accounts.actions import create_token

    cast_all(box, 5)
    close(box, users)
    digest = urn.sealed_digest(box)
    page = client_for(users.observer).get(f"/ballots/{box.pk}/results/").content.decode()
    assert f"<code>{digest}</code>" in page
    api = Client(headers={"Authorization": f"Bearer {create_token(users.observer, 'test')[1]}"})
    recon = api.get(f"/api/ballots/boxes/{box.pk}/reconciliation").json()
    assert (recon["seal_digest"], recon["unsealed"], recon["ballots"]) == (digest, 0, 5)
