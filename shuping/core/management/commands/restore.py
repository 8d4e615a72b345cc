"""`shuping restore FILE [--force]`: load a backup into an empty, migrated database."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuping.core.backup import restore_backup


class Command(BaseCommand):
    help = "从备份文件恢复到一个已迁移的空库（--force 先清空现有数据）；恢复后核对行数并校验审计哈希链"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="shuping backup 生成的 .zip 文件")
        parser.add_argument("--force", action="store_true", help="目标库不是空的时，先清空全部数据再恢复")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            r = restore_backup(options["file"], force=options["force"])
        except ValidationError as e:
            raise CommandError("恢复失败：" + "；".join(e.messages)) from e
        self.stdout.write(self.style.SUCCESS(f"已从 {options['file']} 恢复（备份时间 {r.manifest['created_at']}）"))
        self.stdout.write(f"  {r.rows} 行数据，{r.media_files} 个上传文件；行数与清单一致")
        self.stdout.write(f"  审计日志 {r.audit_count} 条，哈希链 OK，链尾哈希 {r.audit_head}")
        self.stdout.write("  所有用户需要重新登录")
