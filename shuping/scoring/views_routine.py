"""日常考核 page of a campaign: current scores, template download and the .xlsx import.

Organisers import; observers and chairs read; others get 403 (404 for a campaign they may not see).
Thin: the access helper, then `actions_routine`. The import is one step, like the roster's: a clean file is
applied at once and the page shows what changed and who is left without a score; a bad file is listed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import SCORING_MANAGERS, WIDE_READERS, roles_required
from shuping.campaigns.models import Campaign
from shuping.core.downloads import attachment
from shuping.scoring import actions_routine, routine
from shuping.scoring.routine_rules import MAX_BYTES, MAX_SHOWN

READERS = actions_routine.READERS


class UploadForm(forms.Form):
    file = forms.FileField(label="日常考核得分文件（.xlsx）")


def _page(request: HttpRequest, campaign: Campaign, status: int = 200, **extra: Any) -> HttpResponse:
    user: Any = request.user
    rows = list(routine.participants(campaign))
    scored = sum(1 for p in rows if routine.score_of(p) is not None)
    ctx: dict[str, Any] = {
        "campaign": campaign, "tab": "routine", "rows": rows, "n_scored": scored, "n_missing": len(rows) - scored,
        "can_edit": user.has_role(*SCORING_MANAGERS), "can_see_lots": user.has_role(*WIDE_READERS),
        "refusal": routine.refusal(campaign), "form": UploadForm(), "max_mb": MAX_BYTES // 1024 // 1024,
    }
    ctx.update(extra)
    return render(request, "scoring/routine/page.html", ctx, status=status)


@roles_required(*READERS)
def page(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, access.get_campaign(request.user, pk))  # type: ignore[arg-type]


@require_POST
@roles_required(*SCORING_MANAGERS)
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    campaign = access.get_campaign(user, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, campaign, status=422, errors=form.errors.get("file") or ["请选择要上传的 .xlsx 文件"])
    f = form.cleaned_data["file"]
    # At most one byte past the limit: enough for the size check, and a huge upload is never read whole.
    data = f.read(MAX_BYTES + 1)
    try:
        result = actions_routine.import_routine(user, campaign, data, f.name)
    except routine.RoutineRejected as e:
        return _page(request, campaign, status=422, rejected=e, shown=e.messages[:MAX_SHOWN], total=len(e.messages))
    except ValidationError as e:
        return _page(request, campaign, status=422, errors=e.messages)
    return _page(request, campaign, result=result)


@roles_required(*SCORING_MANAGERS)
def template(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    campaign = access.get_campaign(user, pk)
    resp = HttpResponse(actions_routine.template(user, campaign), content_type=routine.XLSX_TYPE)
    # RFC 5987 so browsers keep the Chinese file name; the ASCII fallback for old clients.
    resp["Content-Disposition"] = attachment(routine.template_name(campaign), f"routine-{campaign.year}.xlsx")
    return resp
