"""`shuping audit verify`: a clean chain passes; every kind of tampering is found and named."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from shuping.audit.chain import event_hash
from shuping.audit.log import record, verify
from shuping.audit.models import AppendOnlyError, AuditEvent, AuditHead

IS_PG = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(not IS_PG, reason="需要 PostgreSQL")


@contextmanager
def tampering() -> Iterator[Any]:
    """A raw cursor that may change audit rows (on PostgreSQL the trigger is switched off meanwhile)."""
    with connection.cursor() as cur:
        if IS_PG:
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
        yield cur
        if IS_PG:
            cur.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_append_only")


def run_verify() -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except CommandError as e:
        return out.getvalue(), err.getvalue() + str(e), e.returncode
    return out.getvalue(), err.getvalue(), 0


@pytest.fixture
def chain(db) -> list[AuditEvent]:
    return [record("cli", "test.event", None, f"第{i}件事", {"n": i, "score": "90.50"}) for i in range(1, 5)]


def test_a_clean_chain_verifies(chain):
    out, _, code = run_verify()
    assert code == 0
    assert "共 4 条" in out
    assert chain[-1].hash in out
    assert "OK" in out


def test_an_empty_log_verifies(db):
    out, _, code = run_verify()
    assert code == 0
    assert "共 0 条" in out


def test_it_detects_an_edited_summary(chain):
    with tampering() as cur:
        cur.execute("UPDATE audit_auditevent SET summary = %s WHERE seq = 2", ["改过的摘要"])
    _, err, code = run_verify()
    assert code == 1
    assert "第 2 条" in err
    assert "被修改" in err


def test_it_detects_edited_data(chain):
    with tampering() as cur:
        cur.execute("UPDATE audit_auditevent SET data = %s WHERE seq = 3", [json.dumps({"n": 3, "score": "99.50"})])
    result = verify()
    assert not result.ok
    assert [p.seq for p in result.problems] == [3]


def test_it_detects_a_deleted_middle_row(chain):
    with tampering() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE seq = 2")
    _, err, code = run_verify()
    assert code == 1
    assert "第 3 条" in err
    assert "序号不连续" in err


def test_it_detects_a_deleted_last_row(chain):
    with tampering() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE seq = 4")
    _, err, code = run_verify()
    assert code == 1
    assert "末尾记录被删除" in err


def test_it_detects_a_forged_row_even_with_a_correct_hash(chain):
    last = chain[-1]
    forged = AuditEvent(seq=5, at=last.at, actor="organiser", action="test.event", summary="伪造", data={},
                        prev_hash=last.hash)
    forged.hash = event_hash(last.hash, forged.content())
    with tampering() as cur:
        cur.execute(
            "INSERT INTO audit_auditevent (seq, at, actor, action, object_type, object_id, summary, data, prev_hash, hash)"
            " VALUES (%s, %s, %s, %s, '', '', %s, %s, %s, %s)",
            [5, last.at, "organiser", "test.event", "伪造", "{}", last.hash, forged.hash],
        )
    result = verify()
    assert not result.ok
    assert "链尾不符" in result.problems[0].reason


def test_it_detects_a_forged_row_with_a_made_up_hash(chain):
    with tampering() as cur:
        cur.execute(
            "INSERT INTO audit_auditevent (seq, at, actor, action, object_type, object_id, summary, data, prev_hash, hash)"
            " VALUES (%s, %s, %s, %s, '', '', %s, %s, %s, %s)",
            [5, chain[-1].at, "organiser", "test.event", "伪造", "{}", "0" * 64, "f" * 64],
        )
    seqs = {p.seq for p in verify().problems}
    assert 5 in seqs


def test_the_orm_refuses_updates_and_deletes(chain):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=1).update(summary="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=1).delete()
    ev = AuditEvent.objects.get(seq=1)
    ev.summary = "x"
    with pytest.raises(AppendOnlyError):
        ev.save()
    with pytest.raises(AppendOnlyError):
        ev.delete()
    assert verify().ok


@pytest.mark.postgres
@postgres_only
def test_the_database_refuses_update_and_delete_on_postgresql(chain):
    for sql in ("UPDATE audit_auditevent SET summary = 'x' WHERE seq = 1", "DELETE FROM audit_auditevent WHERE seq = 1"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEvent.objects.get(seq=1).summary == "第1件事"
    assert verify().ok


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain():
    threads_n, per_thread = 8, 10
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            for j in range(per_thread):
                with transaction.atomic():
                    record("cli", "test.concurrent", None, f"线程{i}第{j}次", {"i": i, "j": j})
        except BaseException as e:  # reported below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = verify()
    assert result.ok, result.problems
    assert result.count == threads_n * per_thread
    assert AuditHead.objects.get(id=1).seq == threads_n * per_thread
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, threads_n * per_thread + 1))
