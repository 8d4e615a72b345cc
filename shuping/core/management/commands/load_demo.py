"""`shuping demo [--reset]`: load the demo district (once) and print the URL and the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuping.core import demo


class Command(BaseCommand):
    help = "载入示范区县（青川区）数据并打印各角色登录账号；重复运行不会重复载入，--reset 清除后重新载入"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="先清除示范数据再重新载入")
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="打印的访问地址")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo.load(reset=options["reset"])
        except ValidationError as e:
            raise CommandError("；".join(e.messages)) from e
        c = demo.counts()
        if result.created:
            self.stdout.write(self.style.SUCCESS(
                f"已载入示范数据：{c['units']} 个单位，{c['people']} 名人员，{c['campaigns']} 个年度考核方案"))
        for note in result.notes:
            self.stdout.write(note)
        self.stdout.write("")
        self.stdout.write(f"访问地址：{options['url']}")
        self.stdout.write(f"示范账号（密码均为 {demo.PASSWORD}）：")
        width = max((len(r.username) for r in result.logins), default=8)
        for r in result.logins:
            self.stdout.write(f"  {r.username.ljust(width)}  {r.roles}  {r.display_name}  —  {r.note}")
