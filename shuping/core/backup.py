"""Backup and restore: one .zip with a manifest, every row as JSON, and the uploaded files.

The file is engine-neutral (a SQLite backup restores into PostgreSQL). A backup reads one
consistent snapshot, so it can run while the app serves requests. A restore goes into an
empty, migrated database in one transaction, then checks row counts and the audit chain.

Layout of the zip: manifest.json · data.json ({"app.model": [rows…]} in dependency order) · media/…
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from shuping.audit.log import record, verify
from shuping.audit.models import AuditHead

FORMAT_VERSION = 1
# Rebuilt by `migrate` (content types, permissions), short-lived (sessions) or queue state (tasks).
EXCLUDED_APPS = {"contenttypes", "sessions", "django_tasks_database", "django_tasks"}
EXCLUDED_MODELS = {"auth.permission"}
# Tables a data migration fills on every new database (the default phrase library). A freshly migrated target
# still counts as empty with them, and restoring replaces them with the backup's rows.
SEEDED_MODELS = {"speeches.phrase"}


class BackupEncoder(json.JSONEncoder):
    """Like DjangoJSONEncoder, but keeps microseconds: the audit hashes cover exact timestamps."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, Decimal):
            return str(o)
        return super().default(o)


def backup_models() -> list[type[models.Model]]:
    """Models whose rows go into a backup, ordered so natural-key targets (users) load first."""
    chosen = [
        m for m in apps.get_models()
        if m._meta.app_label not in EXCLUDED_APPS and m._meta.label_lower not in EXCLUDED_MODELS
        and m._meta.managed and not m._meta.proxy
    ]
    return serializers.sort_dependencies([(None, chosen)], allow_cycles=True)  # type: ignore[list-item]


def _through_models(model_list: list[type[models.Model]]) -> list[type[models.Model]]:
    throughs = [f.remote_field.through for m in model_list for f in m._meta.local_many_to_many]
    return [t for t in throughs if t is not None and t._meta.auto_created]


def row_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    ms = backup_models()
    return {m._meta.label_lower: m._base_manager.using(using).count() for m in [*ms, *_through_models(ms)]}


def migration_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    state: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        state.setdefault(app, []).append(name)
    return state


@contextmanager
def snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the reads inside one consistent snapshot without blocking writers."""
    conn = connections[using]
    if conn.in_atomic_block:  # the caller's transaction is the snapshot
        yield
    elif conn.vendor == "postgresql":
        with transaction.atomic(using=using), conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif conn.vendor == "sqlite":
        # A deferred read transaction: in WAL mode it sees one snapshot and never blocks the writer
        # (Django's own atomic() would BEGIN IMMEDIATE and hold the write lock).
        conn.ensure_connection()
        with conn.cursor() as cur:
            cur.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with conn.cursor() as cur:
                cur.execute("COMMIT")
    else:
        with transaction.atomic(using=using):
            yield


def _media_files() -> Iterator[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, "media/" + path.relative_to(root).as_posix()


def create_backup(path: str | os.PathLike[str], using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write the backup file; returns its manifest. Written to a temporary file first, then renamed."""
    conn = connections[using]
    data: dict[str, list[dict[str, Any]]] = {}
    with snapshot(using):
        for model in backup_models():
            qs = model._base_manager.using(using).order_by("pk")
            data[model._meta.label_lower] = serializers.serialize(
                "python", qs.iterator(chunk_size=2000), use_natural_foreign_keys=True
            )
        counts = row_counts(using)
        head = AuditHead.objects.using(using).filter(id=1).first()
        manifest = {
            "format": "shuping-backup",
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "django_version": django.get_version(),
            "db_vendor": conn.vendor,
            "migrations": migration_state(using),
            "row_counts": counts,
            "audit_head": {"seq": head.seq if head else 0, "hash": head.hash if head else ""},
            "media_files": 0,
        }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".shuping-backup-", suffix=".zip", dir=target.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("data.json", json.dumps(data, cls=BackupEncoder, ensure_ascii=False))
            n = 0
            for file, arcname in _media_files():
                zf.write(file, arcname)
                n += 1
            manifest["media_files"] = n
            zf.writestr("manifest.json", json.dumps(manifest, cls=BackupEncoder, ensure_ascii=False, indent=2))
        os.chmod(tmp, 0o600)  # names, phone numbers and votes: not for everyone on the machine
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return manifest


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    rows: int
    media_files: int
    audit_count: int
    audit_head: str


def read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError) as e:
        raise ValidationError("不是述评的备份文件：缺少或无法读取 manifest.json") from e
    if manifest.get("format") != "shuping-backup":
        raise ValidationError("不是述评的备份文件")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise ValidationError(f"备份文件格式版本 {manifest['format_version']} 比本程序支持的 {FORMAT_VERSION} 新，请先升级程序")
    return manifest


def check_migrations(manifest: dict[str, Any], using: str = DEFAULT_DB_ALIAS) -> None:
    """The database must be fully migrated, and the backup must not come from newer code."""
    executor = MigrationExecutor(connections[using])
    graph = executor.loader.graph
    unknown = [f"{app}.{name}" for app, names in manifest["migrations"].items() for name in names
               if (app, name) not in graph.nodes]
    if unknown:
        raise ValidationError(
            f"备份来自更新版本的程序（本程序没有这些数据库迁移：{'、'.join(unknown[:5])}），请先升级程序再恢复"
        )
    if executor.migration_plan(graph.leaf_nodes()):
        raise ValidationError("数据库尚未迁移到最新结构，请先运行 shuping migrate")
    behind = [f"{app}.{name}" for app, name in sorted(graph.leaf_nodes())
              if app in manifest["migrations"] and name not in manifest["migrations"][app]]
    if behind:
        raise ValidationError(
            f"备份来自较旧版本的程序（缺少数据库迁移：{'、'.join(behind[:5])}）。"
            "请用与备份相同版本的程序恢复，然后升级程序并运行 shuping migrate"
        )


def _insert_raw(model: type[models.Model], objs: list[models.Model], using: str) -> None:
    """INSERT rows as they are, in batches: no save() overrides (the audit log refuses save() on
    existing rows), no auto_now stamping, no signals — like loaddata's raw save, but batched."""
    fields = list(model._meta.local_concrete_fields)
    batch = max(1, connections[using].ops.bulk_batch_size(fields, objs) or len(objs))
    for i in range(0, len(objs), batch):
        model._base_manager.using(using)._insert(objs[i:i + batch], fields=fields, using=using, raw=True)  # type: ignore[attr-defined]


def _flush(using: str) -> None:
    conn = connections[using]
    if conn.vendor == "postgresql":
        # TRUNCATE refuses tables with deferred FK checks still pending in this transaction.
        with conn.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0, database=using)
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


def _safe_media_name(name: str) -> PurePosixPath | None:
    rel = PurePosixPath(name).relative_to("media")
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        return None
    return rel


def restore_backup(
    path: str | os.PathLike[str], force: bool = False, actor: Any = "cli", record_event: bool = True,
    using: str = DEFAULT_DB_ALIAS,
) -> RestoreResult:
    """Load a backup into an empty, migrated database (with force: flush it first), in one transaction."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise ValidationError(f"无法打开备份文件：{e}") from e
    with zf:
        manifest = read_manifest(zf)
        check_migrations(manifest, using)
        data: dict[str, list[dict[str, Any]]] = json.loads(zf.read("data.json"))
        unknown_models = [label for label in data if label not in {m._meta.label_lower for m in backup_models()}]
        if unknown_models:
            raise ValidationError(f"备份中有本程序不认识的数据表：{'、'.join(unknown_models)}")

        rows = 0
        with transaction.atomic(using=using):
            present = {label: n for label, n in row_counts(using).items() if n and label not in SEEDED_MODELS}
            if present and not force:
                shown = "、".join(f"{label}（{n} 行）" for label, n in list(present.items())[:5])
                raise ValidationError(f"目标数据库不是空的：{shown}。请恢复到新建的空库，或加 --force 先清空")
            if present:
                _flush(using)
            for label in SEEDED_MODELS:
                apps.get_model(label)._base_manager.using(using).all().delete()
            for label, items in data.items():
                model = apps.get_model(label)
                loaded = list(serializers.deserialize("python", items, using=using))
                _insert_raw(model, [d.object for d in loaded], using)
                for d in loaded:
                    for name, values in (d.m2m_data or {}).items():
                        if values:
                            getattr(d.object, name).set(values)
                rows += len(loaded)
            conn = connections[using]
            all_models = [*backup_models(), *_through_models(backup_models())]
            with conn.cursor() as cur:
                for sql in conn.ops.sequence_reset_sql(no_style(), all_models):
                    cur.execute(sql)

            counts = row_counts(using)
            wrong = [f"{label}：应为 {n} 行，实为 {counts.get(label, 0)} 行"
                     for label, n in manifest["row_counts"].items() if counts.get(label, 0) != n]
            if wrong:
                raise ValidationError(f"行数与备份清单不符，已撤销恢复：{'；'.join(wrong[:5])}")
            result = verify()
            if not result.ok:
                problems = "；".join(f"第 {p.seq} 条：{p.reason}" for p in result.problems[:5])
                raise ValidationError(f"备份中的审计日志哈希链校验失败，已撤销恢复：{problems}")
            if result.head_hash != manifest["audit_head"]["hash"]:
                raise ValidationError("审计日志链尾哈希与备份清单不符（备份文件可能被改动），已撤销恢复")
            if record_event:
                record(actor, "backup.restore", None,
                       f"从备份恢复（备份时间 {manifest['created_at']}，{rows} 行，{manifest['db_vendor']}）",
                       {"created_at": manifest["created_at"], "rows": rows, "db_vendor": manifest["db_vendor"],
                        "audit_head": manifest["audit_head"]})
            final = verify()

        # Files only after the data is committed; names are checked so nothing lands outside MEDIA_ROOT.
        media_root = Path(settings.MEDIA_ROOT)
        n_media = 0
        for info in zf.infolist():
            if info.is_dir() or not info.filename.startswith("media/"):
                continue
            rel = _safe_media_name(info.filename)
            if rel is None:
                continue
            dest = media_root.joinpath(*rel.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(dest, "wb") as out:
                out.write(src.read())
            n_media += 1
    return RestoreResult(manifest=manifest, rows=rows, media_files=n_media, audit_count=final.count,
                         audit_head=final.head_hash)
