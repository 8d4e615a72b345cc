"""`shuping serve`: migrate, collect static files, then replace this process with gunicorn."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def default_workers() -> int:
    """Two sync workers per core (4 on the 2-core reference machine), at most 8.

    Chosen by measurement (bench/phone_flow.py, bench/ballot_submit.py; README "投票高峰"): a voter's request is
    short CPU work and then a wait on PostgreSQL (the commit's fsync above all). With one worker per core a core
    idles during those waits; with two per core the cores stay busy; more only add contention with PostgreSQL
    for the same cores (6 workers on 2 cores fell apart when the machine was also loaded). gthread workers
    measured no better. Each sync worker keeps at most one database connection, so connections = workers."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


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
        parser.add_argument("--workers", type=int, default=int(os.environ.get("SHUPING_WORKERS") or default_workers()),
                            help="同步工作进程数，默认每核 2 个、至多 8 个（环境变量 SHUPING_WORKERS）；"
                                 "每个进程至多占用 1 个数据库连接")
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
        n = options["workers"]
        kind = "个工作进程" if "--worker-class" in options["gunicorn_args"] else f"个同步工作进程，至多 {n} 个数据库连接"
        self.stdout.write(f"述评 Shuping 在 http://{options['bind']}/ 启动（{n} {kind}；Ctrl-C 停止）")
        self.stdout.flush()
        os.execv(argv[0], argv)
