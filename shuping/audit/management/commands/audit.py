"""`shuping audit verify`: check the audit log's hash chain; exit 1 and list every problem if it is broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuping.audit.log import verify


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链（发现问题时逐条列出并以状态 1 退出）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="verify")
        sub.add_parser("verify", help="校验哈希链")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] != "verify":  # argparse already refuses others
            raise CommandError("未知子命令")
        result = verify()
        if result.ok:
            self.stdout.write(f"审计日志共 {result.count} 条")
            self.stdout.write(f"链尾哈希 {result.head_hash or '（空）'}")
            self.stdout.write(self.style.SUCCESS("OK 哈希链完整"))
            return
        for p in result.problems:
            self.stderr.write(f"第 {p.seq} 条：{p.reason}")
        raise CommandError(f"哈希链校验失败：共 {result.count} 条记录，发现 {len(result.problems)} 处问题", returncode=1)
