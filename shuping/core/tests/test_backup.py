"""Backup and restore: a full round trip gives back every row, the files and an intact audit chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from shuping.accounts import actions as account_actions
from shuping.accounts.models import LoginThrottle, Role, User
from shuping.audit.log import record, verify
from shuping.audit.models import AuditEvent
from shuping.core import demo
from shuping.core.backup import create_backup, restore_backup, snapshot
from shuping.orgs.models import Person, Unit
from shuping.rectification.models import Evidence

IS_PG = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(not IS_PG, reason="需要 PostgreSQL")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "reports" / "2023").mkdir(parents=True)
    (settings.MEDIA_ROOT / "reports" / "2023" / "城关街道述职报告.txt").write_text("履职情况和成效……", encoding="utf-8")
    return settings.MEDIA_ROOT


@pytest.fixture
def district_data(db, media) -> None:
    """The demo district plus things built through the real account actions."""
    demo.load()
    admin = User.objects.get(username="admin")
    user = account_actions.create_user(admin, "zhangsan", "张三", "Zhang-san-2026", [Role.REPORTER],
                                       Unit.objects.get(code="QC03"))
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    account_actions.create_token(user, "数据对接")
    account_actions.update_user(admin, user, "张三丰", [Role.REPORTER, Role.OWNER], user.unit, True)
    LoginThrottle.objects.create(username="lisi", failures=2)
    record(admin, "test.decimal", None, "带小数的数据", {"score": "91.35"})


def dump() -> list[dict]:
    out = StringIO()
    call_command("dumpdata", "--natural-foreign", "--natural-primary", stdout=out,
                 exclude=["contenttypes", "auth.permission", "sessions", "django_tasks_database"])
    return sorted(json.loads(out.getvalue()), key=lambda o: (o["model"], json.dumps(o.get("pk"))))


def wipe() -> None:
    if IS_PG:  # TRUNCATE needs this test's pending FK checks done first
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if IS_PG:
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


def test_a_round_trip_gives_back_every_row(district_data, tmp_path, media):
    before = dump()
    file = tmp_path / "b.zip"
    create_backup(file)
    wipe()
    (media / "reports" / "2023" / "城关街道述职报告.txt").unlink()
    assert User.objects.count() == 0 and AuditEvent.objects.count() == 0

    result = restore_backup(file, record_event=False)

    assert dump() == before
    assert result.audit_count == AuditEvent.objects.count() == len([o for o in before if o["model"] == "audit.auditevent"])
    assert verify().ok
    assert (media / "reports" / "2023" / "城关街道述职报告.txt").read_text(encoding="utf-8") == "履职情况和成效……"
    assert User.objects.get(username="zhangsan").has_perm("accounts.view_user")
    assert User.objects.get(username="organiser").check_password(demo.PASSWORD)


def test_new_rows_after_a_restore_get_fresh_ids(district_data, tmp_path):
    file = tmp_path / "b.zip"
    create_backup(file)
    top = Unit.objects.order_by("-pk").first().pk
    wipe()
    restore_backup(file)
    unit = Unit.objects.create(code="NEW", name="新单位", type="党支部", category="其他")
    assert unit.pk > top
    assert record("cli", "test.after", None, "恢复后").seq == AuditEvent.objects.count()
    assert verify().ok


def test_the_manifest_describes_the_backup(district_data, tmp_path):
    file = tmp_path / "b.zip"
    create_backup(file)
    with zipfile.ZipFile(file) as zf:
        m = json.loads(zf.read("manifest.json"))
        data = json.loads(zf.read("data.json"))
        names = zf.namelist()
    assert m["format_version"] == 1 and m["db_vendor"] == connection.vendor
    assert "0002_append_only_trigger" in m["migrations"]["audit"]
    assert m["row_counts"]["orgs.unit"] == Unit.objects.count()
    assert m["audit_head"]["hash"] == verify().head_hash
    evidence = [e.file.name for e in Evidence.objects.all()]  # the demo ledger's evidence files
    assert evidence and m["media_files"] == 1 + len(evidence)
    assert "media/reports/2023/城关街道述职报告.txt" in names and all(f"media/{n}" in names for n in evidence)
    assert not {"contenttypes.contenttype", "auth.permission", "sessions.session"} & set(data)
    assert not any(label.startswith("django_tasks") for label in data)
    assert oct(file.stat().st_mode & 0o777) == "0o600"


def test_restore_refuses_a_database_that_is_not_empty(district_data, tmp_path):
    file = tmp_path / "b.zip"
    create_backup(file)
    with pytest.raises(ValidationError, match="目标数据库不是空的"):
        restore_backup(file)


def test_restore_with_force_flushes_first(district_data, tmp_path):
    file = tmp_path / "b.zip"
    create_backup(file)
    before = dump()
    Unit.objects.create(code="EXTRA", name="多出来的单位", type="党支部", category="其他")
    out = StringIO()
    call_command("restore", str(file), "--force", stdout=out)
    assert "哈希链 OK" in out.getvalue()
    assert not Unit.objects.filter(code="EXTRA").exists()
    after = [o for o in dump() if o["model"] not in ("audit.auditevent", "audit.audithead")]
    assert after == [o for o in before if o["model"] not in ("audit.auditevent", "audit.audithead")]
    last = AuditEvent.objects.order_by("-seq").first()
    assert last.action == "backup.restore" and last.seq == len([o for o in before if o["model"] == "audit.auditevent"]) + 1


def _rewrite(file: Path, target: Path, manifest_change=None, data_change=None) -> Path:
    with zipfile.ZipFile(file) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        data = json.loads(zf.read("data.json"))
    if manifest_change:
        manifest_change(manifest)
    if data_change:
        data_change(data)
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("data.json", json.dumps(data))
    return target


def test_restore_refuses_a_backup_from_newer_code(district_data, tmp_path):
    file = tmp_path / "b.zip"
    create_backup(file)
    newer = _rewrite(file, tmp_path / "newer.zip",
                     manifest_change=lambda m: m["migrations"]["orgs"].append("0099_future_field"))
    wipe()
    with pytest.raises(CommandError, match=r"备份来自更新版本的程序.*orgs\.0099_future_field"):
        call_command("restore", str(newer), stdout=StringIO())
    assert Unit.objects.count() == 0


def test_restore_undoes_everything_when_row_counts_disagree(district_data, tmp_path):
    file = tmp_path / "b.zip"
    create_backup(file)
    short = _rewrite(file, tmp_path / "short.zip", data_change=lambda d: d["orgs.person"].pop())
    wipe()
    with pytest.raises(ValidationError, match=r"行数与备份清单不符.*orgs\.person"):
        restore_backup(short)
    assert Unit.objects.count() == 0 and User.objects.count() == 0


def test_restore_refuses_a_backup_whose_audit_chain_was_edited(district_data, tmp_path):
    def edit(d):
        d["audit.auditevent"][0]["fields"]["summary"] = "改过"

    file = tmp_path / "b.zip"
    create_backup(file)
    edited = _rewrite(file, tmp_path / "edited.zip", data_change=edit)
    wipe()
    with pytest.raises(ValidationError, match="哈希链校验失败"):
        restore_backup(edited)
    assert AuditEvent.objects.count() == 0


def test_restore_never_writes_outside_the_media_folder(db, tmp_path, media):
    file = tmp_path / "b.zip"
    create_backup(file)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(file) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("media/../../escaped.txt", "x")
    restore_backup(evil, force=True)
    assert not (tmp_path / "escaped.txt").exists() and not (media.parent.parent / "escaped.txt").exists()


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValidationError, match="无法打开备份文件"):
        restore_backup(bad)


def test_backup_command_prints_a_summary(district_data, tmp_path):
    out = StringIO()
    call_command("backup", str(tmp_path / "b.zip"), stdout=out)
    assert "已备份到" in out.getvalue() and verify().head_hash in out.getvalue()


@pytest.mark.postgres
@postgres_only
def test_a_round_trip_on_postgresql_keeps_the_append_only_trigger(district_data, tmp_path):
    before = dump()
    file = tmp_path / "b.zip"
    create_backup(file)
    wipe()
    restore_backup(file, record_event=False)
    assert dump() == before
    assert verify().ok
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent")
    assert Person.objects.create(name="新人", unit=Unit.objects.get(code="QC")).pk > max(o["pk"] for o in before
                                                                                        if o["model"] == "orgs.person")


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_backup_reads_one_repeatable_read_snapshot_on_postgresql():
    with snapshot(), connection.cursor() as cur:
        cur.execute("SHOW transaction_isolation")
        assert cur.fetchone()[0] == "repeatable read"
        cur.execute("SHOW transaction_read_only")
        assert cur.fetchone()[0] == "on"


@pytest.mark.postgres
@postgres_only
def test_a_sqlite_backup_restores_into_postgresql(db, tmp_path, media):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHUPING_DATABASE") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(SHUPING_DATA_DIR=str(tmp_path / "sqlite-data"), SHUPING_SECRET_KEY="x")
    file = tmp_path / "from-sqlite.zip"
    for args in (["migrate", "-v", "0"], ["demo"], ["backup", str(file)]):
        subprocess.run([sys.executable, "-m", "shuping", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    result = restore_backup(file)
    assert result.manifest["db_vendor"] == "sqlite"
    assert Unit.objects.get(code="QC").short_name == "青川区委"
    assert User.objects.get(username="organiser").check_password(demo.PASSWORD)
    # Every event of the SQLite install came across, plus the restore's own event.
    assert verify().ok and verify().count == result.manifest["audit_head"]["seq"] + 1
