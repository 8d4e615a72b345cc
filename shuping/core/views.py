"""The dashboard (工作台) and the health check."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from shuping.accounts import access
from shuping.campaigns.models import CampaignState, ParticipantMode
from shuping.core.todo import todos
from shuping.orgs.models import Unit


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    campaigns = (
        access.visible_campaigns(user)
        .select_related("committee")
        .annotate(
            n_participants=Count("participants"),
            n_onsite=Count("participants", filter=Q(participants__mode=ParticipantMode.ONSITE)),
            n_written=Count("participants", filter=Q(participants__mode=ParticipantMode.WRITTEN)),
        )
        .order_by("-year", "committee__code")
    )
    state_counts = {s.value: 0 for s in CampaignState}
    for c in campaigns:
        state_counts[c.state] += 1
    current = next((c for c in campaigns if c.state != CampaignState.ARCHIVED), None)
    context = {
        "campaigns": campaigns,
        "current": current,
        "state_counts": [(CampaignState(s).label, s, n) for s, n in state_counts.items()],
        "unit_count": Unit.objects.count() if access.is_wide_reader(user) else None,
        "own_unit": user.unit if user.unit_id else None,
        "todos": todos(user),
    }
    return render(request, "core/dashboard.html", context)


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
