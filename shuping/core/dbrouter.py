"""Optional read replica: reads go to the primary unless code opts in with `use_replica()`.

Opt-in, because a replica lags: a page read right after a write must see that write. Heavy,
read-only work (exports, analytics, the observer's recomputation) wraps itself in `use_replica()`.
Configured by SHUPING_REPLICA_DATABASE_URL; without it everything reads the primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings

_reading_replica: ContextVar[bool] = ContextVar("reading_replica", default=False)


@contextmanager
def use_replica() -> Iterator[None]:
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        if _reading_replica.get() and "replica" in settings.DATABASES:
            return "replica"
        return "default"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
