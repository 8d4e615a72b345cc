"""整改台账 overview: counts per unit and per category (who may read which entries, and the list's filters,
are shuping.rectification.actions: visible_entries, Filters, search).

Every entry is in exactly one of four states on a given day:
- 整改中 (open): not closed, deadline not passed (or none);
- 逾期未完成 (overdue): not closed and the deadline is before today;
- 按期销号 (closed on time): verified, on or before the deadline (or no deadline);
- 逾期销号 (closed late): verified after the deadline.
A closure request awaiting verification is not closed (only verified entries count). Dates are local dates.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from shuping.rectification.categories import CATEGORIES, LABELS
from shuping.rectification.models import EntryState

OPEN, OVERDUE, ON_TIME, LATE = "open", "overdue", "on_time", "late"
STATUSES = [(OPEN, "整改中"), (OVERDUE, "逾期未完成"), (ON_TIME, "按期销号"), (LATE, "逾期销号")]
STATUS_LABELS = dict(STATUSES)


def status_of(state: str, deadline: datetime.date | None, closed_at: datetime.datetime | None,
              today: datetime.date) -> str:
    """One of OPEN, OVERDUE, ON_TIME, LATE (see the module docstring)."""
    if state == EntryState.CLOSED and closed_at is not None:
        late = deadline is not None and timezone.localdate(closed_at) > deadline
        return LATE if late else ON_TIME
    return OVERDUE if deadline is not None and deadline < today else OPEN


@dataclass
class Counts:
    key: str
    label: str
    counts: dict[str, int] = field(default_factory=lambda: {s: 0 for s, _ in STATUSES})
    short: str = ""  # the chart's axis label
    link: Any = None  # a unit id for per-unit rows (the 晒账 link)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def closed(self) -> int:
        return self.counts[ON_TIME] + self.counts[LATE]

    @property
    def on_time_rate(self) -> str:
        """按期销号率 among all entries, as a whole percentage for display ("—" without entries)."""
        if not self.total:
            return "—"
        return f"{_half_up_percent(self.counts[ON_TIME], self.total)}%"

    def cells(self) -> list[int]:
        return [self.counts[s] for s, _ in STATUSES]

    def by_status(self) -> list[tuple[str, str, int]]:
        return [(s, label, self.counts[s]) for s, label in STATUSES]


def _half_up_percent(part: int, whole: int) -> int:
    return (part * 200 + whole) // (2 * whole)


@dataclass
class Overview:
    today: datetime.date
    units: list[Counts]
    categories: list[Counts]
    total: Counts

    def chart_data(self) -> dict[str, Any]:
        """JSON for the ECharts bars (overview.js): names and one series per status."""
        def block(rows: list[Counts]) -> dict[str, Any]:
            return {"names": [r.short or r.label for r in rows],
                    "series": [{"key": s, "name": label, "data": [r.counts[s] for r in rows]} for s, label in STATUSES]}
        return {"units": block(self.units), "categories": block(self.categories), "date": self.today.isoformat()}


def build(entries: Iterable[Any], today: datetime.date) -> Overview:
    """Counts per unit (units with entries, in ledger order) and per category (all ten, in the domain's order).

    `entries`: LedgerEntry objects with their unit, or anything with unit_id, unit (name), category, state,
    deadline, closed_at."""
    units: dict[int, Counts] = {}
    cats = {code: Counts(code, label) for code, label in CATEGORIES}
    total = Counts("total", "合计")
    for e in entries:
        status = status_of(e.state, e.deadline, e.closed_at, today)
        if e.unit_id not in units:
            units[e.unit_id] = Counts(str(e.unit_id), e.unit.name, short=e.unit.short_name or e.unit.name,
                                      link=e.unit_id)
        units[e.unit_id].counts[status] += 1
        cats.setdefault(e.category, Counts(e.category, LABELS.get(e.category, e.category))).counts[status] += 1
        total.counts[status] += 1
    return Overview(today=today, units=list(units.values()), categories=list(cats.values()), total=total)
