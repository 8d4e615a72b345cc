"""整改成效 (domain.md "Default scoring scheme"): from the previous campaign's ledger, the share of a unit's
entries closed (verified) by their deadline, as 0–100.

The previous campaign is the same committee's campaign of the year before (or, when that year had none, its
latest earlier campaign). An entry counts as on time when it is closed (state 已销号, i.e. verified by a second
person) and its verification date (local date of `closed_at`) is on or before its deadline; an entry without a
deadline counts as on time when it was verified before the new campaign's meeting date (while that date is not
set, any verification so far counts). Entries that were reopened are not closed. No entries → None: the
component drops out of the composite and the other weights re-normalise (shuping.results.maths).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from fractions import Fraction

from django.utils import timezone

from shuping.campaigns.models import Campaign
from shuping.rectification.models import EntryState, LedgerEntry


def previous_campaign(campaign: Campaign) -> Campaign | None:
    """The committee's campaign of year − 1, else its latest earlier one, else None."""
    earlier = Campaign.objects.filter(committee_id=campaign.committee_id, year__lt=campaign.year).order_by("-year")
    return earlier.first()


def closed_on_time(state: str, deadline: date | None, closed_at: datetime | None, meeting: date | None) -> bool:
    """Pure: whether one entry counts as closed and verified on time (see the module docstring)."""
    if state != EntryState.CLOSED or closed_at is None:
        return False
    closed_on = timezone.localdate(closed_at)
    if deadline is not None:
        return closed_on <= deadline
    return meeting is None or closed_on < meeting


def share(on_time: int, total: int) -> Fraction | None:
    return None if total == 0 else Fraction(on_time, total) * 100


def rectification_scores_for(campaign: Campaign, unit_ids: Iterable[int]) -> dict[int, Fraction | None]:
    """整改成效 of each unit for `campaign`, in one query (None for units without entries)."""
    ids = list(unit_ids)
    counts: dict[int, list[int]] = {uid: [0, 0] for uid in ids}  # on time, total
    prev = previous_campaign(campaign)
    if prev is not None and ids:
        for uid, state, deadline, closed_at in (LedgerEntry.objects.filter(campaign=prev, unit_id__in=ids)
                                                .values_list("unit_id", "state", "deadline", "closed_at")):
            counts[uid][1] += 1
            counts[uid][0] += closed_on_time(state, deadline, closed_at, campaign.meeting_date)
    return {uid: share(on, total) for uid, (on, total) in counts.items()}


def rectification_score(unit_id: int, campaign: Campaign) -> Fraction | None:
    """整改成效 of one unit for `campaign`: 100 × on-time closed / entries of the previous campaign, or None."""
    return rectification_scores_for(campaign, [unit_id])[unit_id]
