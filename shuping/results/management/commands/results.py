"""`shuping results verify [--campaign ID]`: recompute stored results and compare them with the live data.

For each result sheet: the score maths run again on the stored inputs must give the stored outputs, the
result rows must match them, and the stored inputs must equal what the database holds now (a judge sheet,
日常考核 score or ballot changed after 统分 shows up here). Exit status 1 when anything differs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuping.results import compute
from shuping.results.models import ResultSheet


class Command(BaseCommand):
    help = "考核结果：verify 按保存的输入重新计算并与当前数据比对（有差异时以状态 1 退出）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="verify")
        v = sub.add_parser("verify", help="重算并比对考核结果")
        v.add_argument("--campaign", type=int, help="只核对这个考核方案（编号）")

    def handle(self, *args: Any, **options: Any) -> None:
        sheets = ResultSheet.objects.select_related("campaign").order_by("campaign__year", "campaign_id")
        if options.get("campaign"):
            sheets = sheets.filter(campaign_id=options["campaign"])
        bad = 0
        n = 0
        for sheet in sheets:
            n += 1
            result = compute.check(sheet)
            head = f"{sheet.campaign.title}（第 {sheet.version} 次统分，{sheet.get_state_display()}）"
            if result.ok:
                self.stdout.write(f"{head}：一致，输入摘要 {result.stored_digest}")
                continue
            bad += 1
            self.stderr.write(f"{head}：发现差异")
            for d in result.differences:
                self.stderr.write(f"  - {d}")
        if not n:
            raise CommandError("没有可核对的考核结果")
        if bad:
            raise CommandError(f"{n} 份考核结果中 {bad} 份与保存的计算不一致", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"OK {n} 份考核结果均可由保存的输入重算得到，且与当前数据一致"))
