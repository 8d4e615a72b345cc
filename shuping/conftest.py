"""Shared test fixtures: a small district and one named user per role.

Named like healthchecks' alice/bob/charlie: `organiser`, `reporter` (unit 东城街道), `other_reporter`
(unit 西城街道) …; `client_for(user)` logs a test client in.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from shuping.accounts.models import Role, User, UserRole
from shuping.orgs.models import Person, Unit

PASSWORD = "Shuping-test-2026"
CHROMIUM = "/usr/bin/chromium"  # Debian's package; browsers cannot be downloaded here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def make_user(username: str, *roles: str, unit: Unit | None = None, display_name: str = "") -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, unit=unit, display_name=display_name)
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
    return user


@pytest.fixture
def district(db) -> SimpleNamespace:
    """区委 with two 街道党工委 and one 区直 body, each with a secretary."""
    root = Unit.objects.create(code="Q", name="示例区委", type="党委", category="区县委")
    east = Unit.objects.create(code="Q01", name="东城街道党工委", type="党工委", category="街道", parent=root, sort_order=1)
    west = Unit.objects.create(code="Q02", name="西城街道党工委", type="党工委", category="街道", parent=root, sort_order=2)
    edu = Unit.objects.create(code="Q11", name="区教育局党委", type="党委", category="机关", parent=root, sort_order=11)
    for unit, name in ((root, "赵书记"), (east, "钱东明"), (west, "孙西华"), (edu, "李育才")):
        unit.secretary = Person.objects.create(name=name, unit=unit, position="书记")
        unit.save()
    return SimpleNamespace(root=root, east=east, west=west, edu=edu)


@pytest.fixture
def users(district) -> SimpleNamespace:
    return SimpleNamespace(
        organiser=make_user("organiser", Role.ORGANISER, display_name="组织部小王"),
        admin=make_user("admin", Role.ADMIN),
        observer=make_user("observer", Role.OBSERVER),
        chair=make_user("chair", Role.CHAIR),
        judge=make_user("judge", Role.JUDGE),
        teller=make_user("teller", Role.TELLER),
        reporter=make_user("reporter", Role.REPORTER, unit=district.east),
        owner=make_user("owner", Role.OWNER, unit=district.east),
        other_reporter=make_user("other_reporter", Role.REPORTER, unit=district.west),
        nobody=make_user("nobody"),
    )


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One real Chromium for every browser test (each test opens its own contexts)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium 未安装：apt-get install chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in browser tests are test setup only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) for i in range(n) in n threads released together by a barrier, each with its own database
    connection (PostgreSQL concurrency tests); returns each result or the exception it raised."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            out[i] = work(i)
        except Exception as e:  # the test looks at every outcome
            out[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out
