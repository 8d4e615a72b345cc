"""`shuping import_roster FILE --user USERNAME`: import a roster .xlsx, all or nothing (same action as the page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuping.accounts.models import User
from shuping.orgs import actions
from shuping.orgs.roster_rules import RosterRejected


class Command(BaseCommand):
    help = "导入组织架构名册（.xlsx）：整个文件校验通过才导入，否则列出全部问题、一条不留"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="名册 .xlsx 文件")
        parser.add_argument("--user", required=True, help="以此用户（组织部工作人员）的身份导入，记入审计日志")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            actor = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"用户“{options['user']}”不存在或已停用") from None
        try:
            data = path.read_bytes()
        except OSError as e:
            raise CommandError(f"无法读取文件“{path}”：{e.strerror}") from None
        try:
            result = actions.import_roster(actor, data, path.name)
        except PermissionDenied as e:
            raise CommandError(str(e)) from None
        except RosterRejected as e:
            for message in e.messages:
                self.stderr.write(message)
            raise CommandError(f"{e}（共 {len(e.messages)} 处问题）") from None
        self.stdout.write(result.summary())
        for code, name in result.absent:
            self.stdout.write(f"  文件中未出现：{code} {name}")
        if result.absent_count > len(result.absent):
            self.stdout.write(f"  …… 另有 {result.absent_count - len(result.absent)} 个")
