"""Carry-over (domain.md step 5): a unit's ledger entries still open when a new campaign starts.

They appear in that unit's report template (上年度问题整改情况, one answer each) and in the chair's
commentary pad; the 整改成效 component is computed from the previous campaign's entries (scoring.py).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shuping.campaigns.models import Campaign
from shuping.rectification.models import EntryState, LedgerEntry


def open_entries_for(unit_id: int, campaign: Campaign) -> QuerySet[LedgerEntry]:
    """Entries of the unit raised before `campaign` (in an earlier year's campaign, or outside any campaign
    before it was created) that are not closed."""
    earlier = Q(campaign__year__lt=campaign.year) | Q(campaign__isnull=True, created_at__lt=campaign.created_at)
    return (LedgerEntry.objects.filter(earlier, unit_id=unit_id).exclude(state=EntryState.CLOSED)
            .select_related("campaign").order_by("created_at", "pk"))
