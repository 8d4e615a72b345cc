"""The one access helper: every view and API endpoint asks here who may see or change what.

Rules (domain.md "Roles"): organisers run campaigns and the roster; admins manage accounts;
observers read everything, including the audit log; chairs, judges and tellers read the
roster and campaigns that are under way; reporters and ledger owners see only their own unit.
Objects a user may not see answer 404 (no leak of their existence); missing roles answer 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from shuping.accounts.models import Role, User
from shuping.ballots.models import BallotBox
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.orgs.models import Person, Unit

# Who may do what, by role.
ORG_EDITORS = (Role.ORGANISER,)
CAMPAIGN_EDITORS = (Role.ORGANISER,)
USER_MANAGERS = (Role.ADMIN,)
AUDIT_READERS = (Role.OBSERVER, Role.ADMIN, Role.ORGANISER)
# Roles that read the whole roster (not tied to one unit).
WIDE_READERS = (Role.ORGANISER, Role.ADMIN, Role.OBSERVER, Role.CHAIR, Role.JUDGE, Role.TELLER)
# Roles that see campaigns still in draft.
DRAFT_READERS = (Role.ORGANISER, Role.ADMIN, Role.OBSERVER)
# 民主测评: who reads a box's setup and turnout, its tally, and the tellers' progress.
BALLOT_SETUP_READERS = (Role.ORGANISER, Role.OBSERVER)
BALLOT_RESULT_READERS = (Role.ORGANISER, Role.OBSERVER, Role.CHAIR)
PAPER_PROGRESS_READERS = (Role.TELLER, Role.ORGANISER, Role.OBSERVER)
# 现场评分: who runs the panel, windows and 日常考核 import; who reads scoring progress; who scores
# (a judge also needs a seat on the campaign's panel).
SCORING_MANAGERS = (Role.ORGANISER,)
SCORING_PROGRESS_READERS = (Role.ORGANISER, Role.OBSERVER, Role.CHAIR)
SCORERS = (Role.JUDGE,)
# 考核结果: who reads every reporter's result (reporters read their own once published), who computes,
# submits and reviews (a second organiser), who signs for the committee.
RESULT_READERS = (Role.ORGANISER, Role.OBSERVER, Role.CHAIR)
RESULT_MANAGERS = (Role.ORGANISER,)
RESULT_SIGNERS = (Role.ORGANISER, Role.CHAIR)
# 述职评议会: who runs the control screen, who reads the meeting (agenda, minutes), who writes 点评.
MEETING_RUNNERS = (Role.ORGANISER,)
MEETING_READERS = (Role.ORGANISER, Role.OBSERVER, Role.CHAIR)
COMMENTATORS = (Role.CHAIR,)
# 述职报告: organisers review every report; readers see them all; a reporter writes their own unit's.
REPORT_REVIEWERS = (Role.ORGANISER,)
REPORT_READERS = (Role.ORGANISER, Role.OBSERVER, Role.CHAIR)
REPORT_WRITERS = (Role.REPORTER,)
# 整改台账: organisers keep the ledger and verify closures (never their own request); readers see it all;
# a unit's owners and reporter see and work on their own unit's entries only.
LEDGER_MANAGERS = (Role.ORGANISER,)
LEDGER_READERS = (Role.ORGANISER, Role.OBSERVER, Role.CHAIR)
LEDGER_UNIT_ROLES = (Role.OWNER, Role.REPORTER)
# 讲话与点评: who reads texts into problems and drafts 点评/speeches; who edits the phrase library; who sees the
# 材料雷同 check.
SPEECH_EDITORS = (Role.ORGANISER, Role.CHAIR)
PHRASE_EDITORS = (Role.ORGANISER,)
SIMILARITY_READERS = (Role.ORGANISER, Role.OBSERVER)
# 导出与统计分析: campaign-wide exports and charts; unit-bound users export their own unit only.
EXPORT_READERS = (Role.ORGANISER, Role.OBSERVER, Role.CHAIR)
ANALYTICS_READERS = (Role.ORGANISER, Role.OBSERVER, Role.CHAIR)


def roles_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Login, then at least one of `roles`, else 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            check_roles(request.user, *roles)  # type: ignore[arg-type]
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def check_roles(user: User, *roles: str) -> None:
    if not (user.is_authenticated and user.is_active and user.has_role(*roles)):
        raise PermissionDenied("您没有执行此操作的权限")


def is_wide_reader(user: User) -> bool:
    return user.has_role(*WIDE_READERS)


def visible_units(user: User) -> QuerySet[Unit]:
    if is_wide_reader(user):
        return Unit.objects.all()
    if user.has_role(Role.REPORTER, Role.OWNER) and user.unit_id:
        return Unit.objects.filter(pk=user.unit_id)
    return Unit.objects.none()


def visible_people(user: User) -> QuerySet[Person]:
    if is_wide_reader(user):
        return Person.objects.all()
    return Person.objects.filter(unit__in=visible_units(user))


def visible_campaigns(user: User) -> QuerySet[Campaign]:
    qs = Campaign.objects.all()
    if user.has_role(*DRAFT_READERS):
        return qs
    qs = qs.exclude(state=CampaignState.DRAFT)
    if is_wide_reader(user):
        return qs
    if user.unit_id:
        # A subquery, not a join: callers annotate counts over all participants.
        return qs.filter(pk__in=Participant.objects.filter(unit_id=user.unit_id).values("campaign_id"))
    return qs.none()


def get_unit(user: User, pk: int, write: bool = False) -> Unit:
    if write:
        check_roles(user, *ORG_EDITORS)
    try:
        return visible_units(user).get(pk=pk)
    except Unit.DoesNotExist:
        raise Http404("单位不存在或无权查看") from None


def get_person(user: User, pk: int, write: bool = False) -> Person:
    if write:
        check_roles(user, *ORG_EDITORS)
    try:
        return visible_people(user).select_related("unit").get(pk=pk)
    except Person.DoesNotExist:
        raise Http404("人员不存在或无权查看") from None


def get_campaign(user: User, pk: int, write: bool = False) -> Campaign:
    if write:
        check_roles(user, *CAMPAIGN_EDITORS)
    try:
        return visible_campaigns(user).select_related("committee").get(pk=pk)
    except Campaign.DoesNotExist:
        raise Http404("考核方案不存在或无权查看") from None


def participants_visible_in(user: User, campaign: Campaign) -> QuerySet[Any]:
    qs = campaign.participants.select_related("unit", "secretary")
    if is_wide_reader(user):
        return qs
    if user.unit_id is None:
        return qs.none()
    return qs.filter(unit_id=user.unit_id)


def get_ballot_box(user: User, pk: int, write: bool = False) -> BallotBox:
    """A campaign's ballot box, if the user may see the campaign; `write` needs an organiser."""
    if write:
        check_roles(user, *CAMPAIGN_EDITORS)
    try:
        return BallotBox.objects.select_related("campaign").get(pk=pk, campaign__in=visible_campaigns(user))
    except BallotBox.DoesNotExist:
        raise Http404("票箱不存在或无权查看") from None
