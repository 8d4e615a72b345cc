"""`shuping token create USERNAME NAME`: make an API token for a user and print it (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuping.accounts.actions import create_token
from shuping.accounts.models import User


class Command(BaseCommand):
    help = "API 令牌：create USERNAME NAME 为用户生成令牌（只显示一次）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="create")
        create = sub.add_parser("create", help="生成令牌")
        create.add_argument("username", help="用户名")
        create.add_argument("name", help="用途，如“人事系统对接”")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"用户“{options['username']}”不存在") from None
        if not user.is_active:
            raise CommandError(f"用户“{user.username}”已停用")
        token, raw = create_token(user, options["name"])
        self.stderr.write(f"已为 {user.username} 生成令牌“{token.name}”（只显示这一次，请立即保存）：")
        self.stdout.write(raw)
