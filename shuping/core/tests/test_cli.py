"""The `shuping` console command: serve hands over to gunicorn; token create prints a working token."""

from __future__ import annotations

import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shuping import __main__ as cli
from shuping.audit.models import AuditEvent
from shuping.core.management.commands import serve


@pytest.fixture
def exec_calls(monkeypatch) -> list:
    calls: list = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append(("exec", path, argv)))
    monkeypatch.setattr(serve, "call_command", lambda name, **kw: calls.append(("command", name, kw)))
    from shuping.ballots import urn

    monkeypatch.setattr(urn, "sweep", lambda: calls.append(("sweep", "urn.sweep", {})))
    return calls


def test_serve_migrates_collects_static_then_execs_gunicorn(exec_calls):
    out = StringIO()
    call_command("serve", stdout=out)
    # Retired urn keys left by a crashed seal are deleted before the server starts (shuping.ballots.urn).
    assert [c[1] for c in exec_calls[:3]] == ["migrate", "collectstatic", "urn.sweep"]
    kind, path, argv = exec_calls[3]
    assert kind == "exec" and path == sys.executable
    assert argv[1:4] == ["-m", "gunicorn", "shuping.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8000"
    assert argv[argv.index("--workers") + 1] == str(serve.default_workers())
    assert argv[argv.index("--worker-class") + 1] == "sync"
    assert argv[argv.index("--access-logfile") + 1] == "-"
    assert "http://127.0.0.1:8000/" in out.getvalue()


@pytest.mark.parametrize("cores,workers", [(1, 2), (2, 4), (3, 6), (16, 8), (None, 2)])
def test_serve_runs_two_sync_workers_per_core_and_at_most_eight(monkeypatch, cores, workers):
    # Measured on 2 cores (README 投票高峰); each sync worker holds at most one database connection.
    monkeypatch.setattr(serve.os, "cpu_count", lambda: cores)
    assert serve.default_workers() == workers


def test_serve_takes_bind_workers_and_extra_gunicorn_arguments(exec_calls):
    call_command("serve", "--bind", "0.0.0.0:9000", "--workers", "4", "--no-migrate", "--", "--timeout", "60",
                 stdout=StringIO())
    assert [c[1] for c in exec_calls if c[0] == "command"] == ["collectstatic"]
    argv = exec_calls[-1][2]
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:9000"
    assert argv[argv.index("--workers") + 1] == "4"
    assert argv[-2:] == ["--timeout", "60"]


def test_token_create_prints_a_token_that_works_on_the_api(users, client):
    out, err = StringIO(), StringIO()
    call_command("api_token", "create", "organiser", "人事系统对接", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("sp_") and "只显示这一次" in err.getvalue()
    r = client.get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200 and r.json()["username"] == "organiser"
    assert AuditEvent.objects.filter(action="token.create", actor="organiser").exists()


def test_token_create_refuses_unknown_and_inactive_users(users):
    with pytest.raises(CommandError, match="不存在"):
        call_command("api_token", "create", "ghost", "x", stdout=StringIO(), stderr=StringIO())
    users.judge.is_active = False
    users.judge.save()
    with pytest.raises(CommandError, match="已停用"):
        call_command("api_token", "create", "judge", "x", stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize(("argv", "expected"), [
    (["audit", "verify"], ["shuping", "audit", "verify"]),
    (["demo", "--reset"], ["shuping", "load_demo", "--reset"]),
    (["backup", "f.zip"], ["shuping", "backup", "f.zip"]),
    (["serve", "--bind", "0.0.0.0:80"], ["shuping", "serve", "--bind", "0.0.0.0:80"]),
    (["token", "create", "u", "n"], ["shuping", "api_token", "create", "u", "n"]),
])
def test_the_shuping_command_maps_friendly_names(monkeypatch, argv, expected):
    seen: list = []
    monkeypatch.setattr(cli, "manage", seen.append)
    monkeypatch.setattr(sys, "argv", ["shuping", *argv])
    cli.main()
    assert seen == [expected]


def test_audit_without_a_subcommand_is_an_error(db):
    with pytest.raises(CommandError):
        call_command("audit")
