"""Actions on 日常考核 scores: the import (pages, API and tests all call it). Audited in `routine`.

Organisers (SCORING_MANAGERS) import; observers and chairs read (READERS).
"""

from __future__ import annotations

from shuping.accounts.access import SCORING_MANAGERS, SCORING_PROGRESS_READERS, check_roles
from shuping.accounts.models import User
from shuping.campaigns.models import Campaign
from shuping.scoring import routine

READERS = SCORING_PROGRESS_READERS  # organiser, observer, chair


def import_routine(actor: User, campaign: Campaign, data: bytes, filename: str) -> routine.ImportResult:
    """All or nothing: raises routine.RoutineRejected (a ValidationError) listing every problem of the file,
    ValidationError when the campaign's scores may not change now; else replaces the campaign's scores."""
    check_roles(actor, *SCORING_MANAGERS)
    return routine.import_routine(actor, campaign, data, filename)


def template(actor: User, campaign: Campaign) -> bytes:
    check_roles(actor, *SCORING_MANAGERS)
    return routine.template_bytes(campaign)
