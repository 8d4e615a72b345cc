"""The `shuping` console command: serve, demo, backup, restore, audit verify, worker.

Anything else is handed to Django's manage.py (e.g. `shuping migrate`, `shuping createsuperuser`).
"""

from __future__ import annotations

import os
import sys


def manage(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuping.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


# Friendly names → management commands.
ALIASES = {
    "serve": "serve",
    "demo": "load_demo",
    "backup": "backup",
    "restore": "restore",
    "audit": "audit",
    "worker": "db_worker",
    "token": "api_token",
}

USAGE = """用法: shuping <命令> [参数]

  serve [--bind 127.0.0.1:8000] [--workers 2]   迁移数据库、收集静态文件并用 gunicorn 启动
  demo [--reset]                                 载入示范区县数据（并打印各角色登录账号）
  backup FILE                                    备份全部数据到一个文件
  restore FILE                                   从备份文件恢复到一个新的空库
  audit verify                                   校验审计日志哈希链
  worker                                         运行后台任务进程
  token create USERNAME NAME                     为用户生成 API 令牌
  <其他>                                         交给 Django manage.py（如 migrate、createsuperuser）
"""


def main() -> None:
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return
    command = ALIASES.get(args[0], args[0])
    manage(["shuping", command, *args[1:]])


if __name__ == "__main__":
    main()
