"""Shared helpers for the benchmark scripts: a throw-away data folder (SQLite, or a PostgreSQL
database with --postgres), Django set up against it, and a 2,000-unit district.

The benchmarks print figures; they are not tests. Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_PASSWORD = "bench-organiser-2026"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/shuping_bench"


@dataclass
class BenchEnv:
    """Where a benchmark's data lives; `close()` removes it unless kept."""

    data_dir: Path
    database_url: str = ""
    keep: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        if self.keep:
            print(f"保留数据目录 {self.data_dir}" + (f"，数据库 {self.database_url}" if self.database_url else ""))
            return
        if self.database_url:
            _pg_admin(self.database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _pg_admin(url: str, statement: str) -> None:
    """Run one CREATE/DROP DATABASE statement against the server's maintenance database."""
    import psycopg
    from psycopg import sql

    u = urlparse(url)
    name = u.path.lstrip("/")
    admin = urlunparse(u._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


def prepare(postgres_url: str | None, keep: bool) -> BenchEnv:
    """A fresh data folder and database, then django.setup() and migrate. Call before importing models."""
    host = urlparse(postgres_url).hostname if postgres_url else "127.0.0.1"
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("基准测试只连接本机（127.0.0.1）上的 PostgreSQL")
    data_dir = Path(tempfile.mkdtemp(prefix="shuping-bench-"))
    bench = BenchEnv(data_dir=data_dir, database_url=postgres_url or "", keep=keep)
    bench.env = {
        "SHUPING_DATA_DIR": str(data_dir),
        "SHUPING_SECRET_KEY": "bench-not-secret",
        "DJANGO_SETTINGS_MODULE": "shuping.settings",
    }
    os.environ.pop("SHUPING_REPLICA_DATABASE_URL", None)
    if postgres_url:
        _pg_admin(postgres_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
        _pg_admin(postgres_url, "CREATE DATABASE {}")
        bench.env["SHUPING_DATABASE_URL"] = postgres_url
    else:
        os.environ.pop("SHUPING_DATABASE_URL", None)
    os.environ.update(bench.env)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return bench


def make_organiser(username: str = "bench-organiser"):  # -> User
    from shuping.accounts.models import Role, User, UserRole

    user = User.objects.create_user(username=username, password=BENCH_PASSWORD, display_name="组织部（基准测试）")
    UserRole.objects.create(user=user, role=Role.ORGANISER)
    return user


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "建国志强海燕丽华明军秀英晓东文静春梅国庆立新红霞永刚玉兰德明淑珍伟光"


def person_name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13 + 3) % len(GIVEN)]


def district_rows(mids: int = 40, per_mid: int = 49) -> list[dict[str, str | int]]:
    """Root → `mids` 街道/机关 → `per_mid` 社区/支部 each: 1 + 40 + 40×49 = 2,001 units by default.

    One dict per unit in roster order (parents before children), with its secretary.
    """
    rows: list[dict[str, str | int]] = [
        {"code": "B", "name": "基准区委", "type": "党委", "category": "区县委", "parent": "", "order": 0},
    ]
    for m in range(1, mids + 1):
        street = m % 2 == 1
        mid_code = f"B{m:02d}"
        rows.append({
            "code": mid_code,
            "name": f"第{m}街道党工委" if street else f"区第{m}局党组",
            "type": "党工委" if street else "党组",
            "category": "街道" if street else "机关",
            "parent": "B",
            "order": m,
        })
        for c in range(1, per_mid + 1):
            rows.append({
                "code": f"{mid_code}{c:03d}",
                "name": f"第{m}街道第{c}社区党委" if street else f"区第{m}局第{c}党支部",
                "type": "党委" if street else "党支部",
                "category": "街道" if street else "机关",
                "parent": mid_code,
                "order": c,
            })
    for i, row in enumerate(rows):
        row["secretary"] = person_name(i)
    return rows


def load_district(rows: list[dict[str, str | int]], participants: int = 200):  # -> (Campaign, Unit root)
    """Write the units, their secretaries and a published campaign with `participants` participants
    (all the 街道/机关, then their first children) straight through the ORM, in bulk."""
    from shuping.campaigns.models import Campaign, CampaignState, Participant, ParticipantMode
    from shuping.orgs.models import Person, Unit

    by_code: dict[str, Unit] = {}
    for depth_rows in _by_depth(rows):
        units = [
            Unit(code=r["code"], name=r["name"], type=r["type"], category=r["category"],
                 parent=by_code.get(str(r["parent"])), sort_order=r["order"])
            for r in depth_rows
        ]
        for u in Unit.objects.bulk_create(units):
            by_code[u.code] = u
    people = Person.objects.bulk_create(
        [Person(name=str(r["secretary"]), unit=by_code[str(r["code"])], position="书记") for r in rows]
    )
    for person in people:
        person.unit.secretary = person
    Unit.objects.bulk_update([p.unit for p in people], ["secretary"], batch_size=500)

    root = by_code["B"]
    chosen = [u for u in by_code.values() if u.parent_id == root.pk]
    chosen += [u for u in by_code.values() if u.parent_id and u.parent_id != root.pk][: participants - len(chosen)]
    campaigns = []
    for year, state in ((2024, CampaignState.ARCHIVED), (2025, CampaignState.PUBLISHED)):
        campaign = Campaign.objects.create(year=year, title=f"{year}年度党（工）委书记抓基层党建工作述职评议",
                                           committee=root, state=state)
        Participant.objects.bulk_create([
            Participant(campaign=campaign, unit=u, secretary=u.secretary,
                        mode=ParticipantMode.ONSITE if i < 40 else ParticipantMode.WRITTEN,
                        speaking_order=i + 1 if i < 40 else None)
            for i, u in enumerate(chosen)
        ])
        campaigns.append(campaign)
    return campaigns[-1], root


def _by_depth(rows: list[dict[str, str | int]]) -> list[list[dict[str, str | int]]]:
    depth: dict[str, int] = {}
    levels: list[list[dict[str, str | int]]] = []
    for r in rows:
        d = depth[str(r["parent"])] + 1 if r["parent"] else 0
        depth[str(r["code"])] = d
        while len(levels) <= d:
            levels.append([])
        levels[d].append(r)
    return levels


# 民主测评 test data: voter group shares (区委领导, 领导小组成员, 党代表, 基层党员群众代表) and a skewed grade mix.
GROUP_SHARES = (0.05, 0.15, 0.30, 0.50)
GRADE_WEIGHTS = {"1": 55, "2": 25, "3": 10, "4": 4, "0": 6}


def insert_ballots(box, n_ballots: int, n_reporters: int, seed: int = 2026) -> float:  # box: BallotBox
    """Bulk-insert `n_ballots` random ballots (and as many used tokens) into `box`; returns the seconds taken."""
    import random
    import time

    from django.db import transaction

    from shuping.ballots.models import Ballot, BallotToken, TokenChannel, TokenStatus

    rnd = random.Random(seed)
    chars, weights = list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values())
    groups = rnd.choices(range(len(GROUP_SHARES)), weights=GROUP_SHARES, k=n_ballots)
    t0 = time.perf_counter()
    batch = 5000
    for start in range(0, n_ballots, batch):
        with transaction.atomic():
            ballots, tokens = [], []
            for i in range(start, min(start + batch, n_ballots)):
                grades = "".join(rnd.choices(chars, weights=weights, k=n_reporters))
                ballots.append(Ballot(box=box, group=groups[i], grades=grades))
                tokens.append(BallotToken(box=box, group=groups[i], serial=i + 1, secret=f"s{i:020d}",
                                          code=f"C{i:09d}", status=TokenStatus.USED, channel=TokenChannel.PHONE))
            Ballot.objects.bulk_create(ballots)
            BallotToken.objects.bulk_create(tokens)
    return time.perf_counter() - t0


# ---------------------------------------------------------------- one child process per database

def timed(fn, runs: int):  # -> (median seconds, last result)
    import statistics
    import time

    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def add_database_args(ap, pg_url: str = DEFAULT_PG_URL) -> None:  # ap: argparse.ArgumentParser
    """--postgres [URL], --sqlite-only, --keep, and the hidden --child KIND the parent passes to each child."""
    import argparse

    ap.add_argument("--postgres", nargs="?", const=pg_url, default=pg_url,
                    help=f"PostgreSQL URL for the throw-away database (default {pg_url})")
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the data folders and database")
    ap.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)


def run_per_database(script: str, args) -> list[dict]:  # args: the parsed add_database_args
    """Run `script` once per database in a child process (Django is set up once per process) with this
    process's own arguments plus --child KIND; collect the JSON line each child prints last."""
    import json
    import subprocess

    results = []
    for kind in ["sqlite"] if args.sqlite_only else ["sqlite", "postgres"]:
        cmd = [sys.executable, script, *sys.argv[1:], "--child", kind]
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{kind} 失败：\n{out.stdout}\n{out.stderr}")
            continue
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results
