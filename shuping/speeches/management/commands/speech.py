"""`shuping speech parse FILE`: read a speech, a 点评 or a report's 存在问题 (.txt in UTF-8 or GBK, or .docx) and
print its structure as JSON (reading.Reading.as_json: parts, their enumerated items, offsets into the decoded
text). FILE "-" reads standard input. Exit status 1, with the reason in Chinese, when the file cannot be read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuping.speeches import reading


class Command(BaseCommand):
    help = "讲话与点评：parse 把讲话/点评文本读成结构（JSON：各部分及其条目、字符位置）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="parse")
        p = sub.add_parser("parse", help="读取 .txt（UTF-8 或 GBK）或 .docx 文件，输出 JSON")
        p.add_argument("file", help="文件路径；“-” 表示从标准输入读取")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        if name == "-":
            data, filename = sys.stdin.buffer.read(), "stdin.txt"
        else:
            path = Path(name)
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise CommandError(f"找不到文件：{name}", returncode=1) from None
            except OSError as e:
                raise CommandError(f"无法读取文件 {name}：{e.strerror or e}", returncode=1) from None
            filename = path.name
        try:
            text = reading.decode(data, filename)
        except ValueError as e:
            raise CommandError(str(e), returncode=1) from None
        self.stdout.write(json.dumps(reading.read(text).as_json(), ensure_ascii=False, indent=2))
