"""The exporters: small classes registered in one place (pretix style).

An exporter names itself (`key`, `label`, file `extension`), says who may run it — `roles` run it over the
whole campaign, `unit_roles` (unit-bound users: reporter, owner) only over their own unit — and builds its
file with `build(job, progress) -> (filename, bytes)`. `build` must filter by `job.unit` when it is set: a
unit-bound user's file holds their unit and nothing else. `check(user, campaign)` says, before a job is
queued and again when it runs, whether the data exists yet (a ValidationError with a Chinese reason).

Add one with::

    @register
    class Dossier(Exporter):
        key, label, extension = "dossier", "归档材料（PDF）", "pdf"
        roles = EXPORT_READERS
        def build(self, job, progress): ...
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from shuping.accounts.models import User
    from shuping.campaigns.models import Campaign
    from shuping.exports.models import ExportJob

Progress = Callable[[int, str], None]  # (percent 0–100, what is being done, in Chinese)

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "csv": "text/csv; charset=utf-8",
}


class Exporter:
    key: ClassVar[str] = ""
    label: ClassVar[str] = ""
    extension: ClassVar[str] = ""
    description: ClassVar[str] = ""
    roles: ClassVar[tuple[str, ...]] = ()  # run over the whole campaign
    unit_roles: ClassVar[tuple[str, ...]] = ()  # run over the user's own unit only
    needs_campaign: ClassVar[bool] = True
    order: ClassVar[int] = 100  # position on the jobs page

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.extension, "application/octet-stream")

    def may_run(self, user: User) -> bool:
        return user.has_role(*self.roles) or bool(user.unit_id and user.has_role(*self.unit_roles))

    def scope_unit_id(self, user: User) -> int | None:
        """None: the whole campaign; else the only unit the user's file may hold. PermissionDenied if neither."""
        if user.has_role(*self.roles):
            return None
        if user.unit_id and user.has_role(*self.unit_roles):
            return int(user.unit_id)
        raise PermissionDenied(f"您没有导出“{self.label}”的权限")

    def check(self, user: User, campaign: Campaign | None) -> None:
        """ValidationError when the data for this export does not exist (yet) for this user."""

    def build(self, job: ExportJob, progress: Progress) -> tuple[str, bytes]:
        raise NotImplementedError


_exporters: dict[str, Exporter] = {}


def register(cls: type[Exporter]) -> type[Exporter]:
    """Class decorator: make an exporter available under its key (a later registration replaces it)."""
    if not cls.key or not cls.label or not cls.extension:
        raise ValueError(f"{cls.__name__}: key, label and extension are required")
    _exporters[cls.key] = cls()
    return cls


# Modules whose exporters register themselves on import (add yours here).
MODULES = ("shuping.exports.builtin", "shuping.exports.dossier")


def _load() -> None:
    for name in MODULES:
        import_module(name)


def get(key: str) -> Exporter | None:
    _load()
    return _exporters.get(key)


def all_exporters() -> list[Exporter]:
    _load()
    return sorted(_exporters.values(), key=lambda e: (e.order, e.key))


def for_user(user: User, *, campaign: bool = True) -> list[Exporter]:
    """The exporters `user` may run, those needing a campaign (campaign=True) or not."""
    return [e for e in all_exporters() if e.may_run(user) and e.needs_campaign == campaign]


def describe(e: Exporter) -> dict[str, Any]:
    return {"key": e.key, "label": e.label, "extension": e.extension, "description": e.description}
