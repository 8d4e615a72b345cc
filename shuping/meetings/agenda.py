"""Building a meeting's agenda from its campaign (domain.md "The yearly cycle" step 3).

议程一 述职 with 一述一评: one item per on-site reporter in speaking order (written reporters do not speak);
议程二 民主测评 (only when the campaign has a ballot box); 议程三 the chair's closing speech.
The other meeting actions (reorder, absences, the countdown, the control screen) are in actions.py.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from shuping.accounts.access import MEETING_RUNNERS, check_roles
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.ballots.models import BallotBox
from shuping.campaigns.models import Campaign, CampaignState, ParticipantMode
from shuping.meetings.models import AgendaItem, ItemKind, Meeting

OPEN_STATES = (CampaignState.PUBLISHED, CampaignState.MEETING)


def reporter_title(p) -> str:  # type: ignore[no-untyped-def]
    name = p.secretary.name if p.secretary_id else ""
    return f"{p.unit.name}{'（' + name + '）' if name else ''}述职"


@transaction.atomic
def create_meeting(actor: User, campaign: Campaign) -> Meeting:
    """The meeting with its default agenda. Refused twice, and outside 已发布/会议中."""
    check_roles(actor, *MEETING_RUNNERS)
    c = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if c.state not in OPEN_STATES:
        raise ValidationError(f"考核方案处于“{c.get_state_display()}”状态，不能安排述职评议会（须为“已发布”或“会议中”）")
    if Meeting.objects.filter(campaign=c).exists():
        raise ValidationError("本考核方案已安排述职评议会")
    meeting = Meeting.objects.create(campaign=c, screen_key=secrets.token_urlsafe(24))
    seconds = int(c.scheme.get("speaking_minutes", 6)) * 60
    onsite = (c.participants.filter(mode=ParticipantMode.ONSITE).select_related("unit", "secretary")
              .order_by("speaking_order", "unit__sort_order", "unit__code"))
    items = [AgendaItem(meeting=meeting, position=i, kind=ItemKind.REPORT, title=reporter_title(p), participant=p,
                        planned_seconds=seconds) for i, p in enumerate(onsite, start=1)]
    n = len(items)
    if BallotBox.objects.filter(campaign=c).exists():
        items.append(AgendaItem(meeting=meeting, position=n + 1, kind=ItemKind.VOTE, title="民主测评",
                                planned_seconds=15 * 60))
    items.append(AgendaItem(meeting=meeting, position=len(items) + 1, kind=ItemKind.CLOSING, title="领导总结讲话",
                            planned_seconds=20 * 60))
    AgendaItem.objects.bulk_create(items)
    record(actor, "meeting.create", meeting, f"安排“{c.title}”述职评议会：{n} 名现场述职，议程 {len(items)} 项",
           {"items": [(it.kind, it.participant_id) for it in items]})
    return meeting
