"""`shuping serve`: migrate, collect static files, then replace this process with gunicorn."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def gunicorn_argv(bind: str, workers: int, extra: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "shuping.wsgi:application",
        "--bind", bind,
        "--workers", str(workers),
        "--worker-class", "sync",
        "--access-logfile", "-",
        # Drops access-log lines of voter pages and the cast API (they would link a token to a time and address).
        "--logger-class", "shuping.core.gunicorn_logging.Logger",
        "--error-logfile", "-",
        # One shared ~/.gunicorn/gunicorn.ctl would clash between instances (demo, bench, tests); unused here.
        "--no-control-socket",
        *extra,
    ]


class Command(BaseCommand):
    help = "迁移数据库、收集静态文件，然后用 gunicorn 启动（访问日志输出到标准输出）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("SHUPING_BIND", "127.0.0.1:8000"),
                            help="监听地址，默认 127.0.0.1:8000（环境变量 SHUPING_BIND）")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("SHUPING_WORKERS", "2")),
                            help="同步工作进程数，默认 2（环境变量 SHUPING_WORKERS）")
        parser.add_argument("--no-migrate", action="store_true", help="跳过数据库迁移（多台应用服务器时只让一台迁移）")
        parser.add_argument("gunicorn_args", nargs="*", help="其余参数原样交给 gunicorn（写在 -- 之后）")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        from shuping.ballots import urn

        # A seal killed between its commit and deleting the old urn key leaves that key's file: delete it now.
        urn.sweep()
        argv = gunicorn_argv(options["bind"], options["workers"], options["gunicorn_args"])
        self.stdout.write(f"述评 Shuping 在 http://{options['bind']}/ 启动（{options['workers']} 个工作进程，Ctrl-C 停止）")
        self.stdout.flush()
        os.execv(argv[0], argv)
