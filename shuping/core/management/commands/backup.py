"""`shuping backup FILE`: every row and uploaded file in one .zip (safe while the app runs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shuping.core.backup import create_backup


class Command(BaseCommand):
    help = "把全部数据（含上传文件）备份到一个 .zip 文件；应用运行中也可以备份"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="备份文件路径，如 /var/backups/shuping/shuping-2026-11-21.zip")

    def handle(self, *args: Any, **options: Any) -> None:
        m = create_backup(options["file"])
        rows = sum(m["row_counts"].values())
        self.stdout.write(self.style.SUCCESS(f"已备份到 {options['file']}"))
        self.stdout.write(f"  {rows} 行数据，{m['media_files']} 个上传文件，数据库 {m['db_vendor']}")
        self.stdout.write(f"  审计日志 {m['audit_head']['seq']} 条，链尾哈希 {m['audit_head']['hash'] or '（空）'}")
