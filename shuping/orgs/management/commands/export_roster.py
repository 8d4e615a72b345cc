"""`shuping export_roster FILE [--template]`: write the whole roster (or the empty template) as .xlsx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shuping.orgs import roster


class Command(BaseCommand):
    help = "导出组织架构名册（.xlsx，可再次导入）；--template 只导出空白模板"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="输出的 .xlsx 文件")
        parser.add_argument("--template", action="store_true", help="导出带说明和示例行的空白模板")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        data = roster.template_bytes() if options["template"] else roster.export_bytes()
        path.write_bytes(data)
        self.stdout.write(f"已写入 {path}（{len(data) / 1024:.0f} KB）")
