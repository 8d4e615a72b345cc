"""The organiser's ballot-box pages: set up the ballot, issue and print tokens, open/close/publish, and
watch turnout live. Organisers write; observers read (never tokens' codes or PDFs); others get 403.

Thin: the access helper first, then one action from `actions/setup.py`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import CAMPAIGN_EDITORS, WIDE_READERS, roles_required
from shuping.ballots import pdf
from shuping.ballots.actions import setup
from shuping.ballots.models import BallotBox, BallotToken, BoxState, TokenStatus
from shuping.campaigns.models import Campaign

READERS = access.BALLOT_SETUP_READERS
LIVE_STATES = (BoxState.OPEN, BoxState.CLOSED)
TOKENS_PER_PAGE = 200


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, e: ValidationError) -> None:
    for m in e.messages:
        messages.error(request, m)


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _base(campaign: Campaign, user: Any) -> dict[str, Any]:
    return {"campaign": campaign, "tab": "ballot", "can_edit": user.has_role(*CAMPAIGN_EDITORS),
            "can_see_lots": user.has_role(*WIDE_READERS)}


def _back(box: BallotBox) -> HttpResponse:
    return redirect("ballots:setup", box.pk)


@roles_required(*READERS)
def for_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's tab: its box, or the button that creates one."""
    user = _user(request)
    campaign = access.get_campaign(user, pk)
    box = BallotBox.objects.filter(campaign=campaign).first()
    if box is not None:
        return _back(box)
    ctx = _base(campaign, user)
    ctx.update({"can_create": campaign.state in setup.CAMPAIGN_STATES, "n_participants": campaign.participants.count()})
    return render(request, "ballots/setup/none.html", ctx)


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = access.get_campaign(user, pk, write=True)
    try:
        box = setup.create_box(user, campaign)
    except ValidationError as e:
        _errors(request, e)
        return redirect("ballots:setup_campaign", campaign.pk)
    messages.success(request, f"已创建民主测评票箱，测评票上共 {box.lines.count()} 名述职人")
    return _back(box)


@roles_required(*READERS)
def page(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    campaign = box.campaign
    lines = list(box.lines.select_related("participant__unit", "participant__secretary").order_by("position"))
    on_ballot = {ln.participant_id for ln in lines}
    others = [p for p in setup.default_participants(campaign) if p.pk not in on_ballot]
    t = setup.turnout(box)
    counts = setup.box_counts(box) if box.state == BoxState.CLOSED else None
    ctx = _base(campaign, user)
    ctx.update({
        "box": box, "lines": lines, "others": others, "turnout": t, "live": box.state in LIVE_STATES,
        "flags": setup.box_flags(box, counts) if counts else [],
        "unsealed": counts.unsealed if counts else 0,
        "editable": ctx["can_edit"] and box.state == BoxState.SETUP,
        "can_issue": ctx["can_edit"] and box.state in setup.ISSUE_STATES,
        "can_print": ctx["can_edit"] and box.state != BoxState.PUBLISHED and t.total.issued > 0,
        "items_text": "\n".join(box.items),
    })
    return render(request, "ballots/setup/page.html", ctx)


@roles_required(*READERS)
def turnout(request: HttpRequest, box_id: int) -> HttpResponse:
    """The live panel, polled every 2 s while voting or counting: one aggregate query over tokens."""
    box = access.get_ballot_box(_user(request), box_id)
    return render(request, "ballots/setup/_turnout.html", {
        "box": box, "turnout": setup.turnout(box), "live": box.state in LIVE_STATES})


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def lines(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id, write=True)
    if request.POST.get("reset"):
        ids = [p.pk for p in setup.default_participants(box.campaign)]
    else:
        chosen = [_int(v) for v in request.POST.getlist("include")]
        # Order by the typed number; ties (and blanks) keep the order the rows were shown in.
        keyed = [(_int(request.POST.get(f"order_{pid}"), 10**6), i, pid)
                 for i, pid in enumerate(chosen) if pid is not None]
        ids = [pid for _, _, pid in sorted(keyed)]
    try:
        setup.set_lines(user, box, ids)
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, f"已保存测评票述职人名单（{len(ids)} 名）")
    return _back(box)


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def box_settings(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id, write=True)
    items = request.POST.get("items", "").splitlines()
    try:
        setup.update_box(user, box, items, request.POST.get("comments_enabled") == "1",
                         request.POST.get("comment_max_chars", ""))  # type: ignore[arg-type]
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, "已保存测评票设置")
    return _back(box)


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def issue(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id, write=True)
    counts: dict[int, int] = {}
    for i, _ in enumerate(setup.group_names(box.campaign)):
        raw = request.POST.get(f"count_{i}", "").strip()
        if not raw:
            continue
        n = _int(raw)
        if n is None:
            messages.error(request, f"第 {i + 1} 类的数量“{raw}”不是整数")
            return _back(box)
        counts[i] = n
    try:
        tokens = setup.issue_tokens(user, box, counts)
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, f"已发放测评码 {len(tokens)} 个（票号 {tokens[0].serial}–{tokens[-1].serial}）")
    return _back(box)


@roles_required(*READERS)
def tokens(request: HttpRequest, box_id: int) -> HttpResponse:
    """Serial, group, status and channel only: nothing that could be used to vote, nothing about ballots."""
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    names = setup.group_names(box.campaign)
    qs = BallotToken.objects.filter(box=box).order_by("serial").only("serial", "group", "status", "channel")
    group = _int(request.GET.get("group"))
    status = request.GET.get("status", "")
    if group is not None:
        qs = qs.filter(group=group)
    if status in TokenStatus.values:
        qs = qs.filter(status=status)
    page_obj = Paginator(qs, TOKENS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"t": t, "group": names[t.group] if 0 <= t.group < len(names) else t.group} for t in page_obj]
    ctx = _base(box.campaign, user)
    ctx.update({"box": box, "rows": rows, "page_obj": page_obj, "groups": list(enumerate(names)),
                "statuses": TokenStatus.choices, "group": group, "status": status,
                "can_revoke": ctx["can_edit"] and box.state in setup.REVOKE_STATES})
    return render(request, "ballots/setup/tokens.html", ctx)


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def revoke(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id, write=True)
    serial = _int(request.POST.get("serial")) or 0
    token = BallotToken.objects.select_related("box__campaign").filter(box=box, serial=serial).first()
    if token is None:
        messages.error(request, f"票号“{request.POST.get('serial', '')}”不存在")
    else:
        try:
            setup.revoke_token(user, token, request.POST.get("reason", ""))
        except ValidationError as e:
            _errors(request, e)
        else:
            messages.success(request, f"已作废票号 {token.serial} 的测评码")
    return redirect("ballots:setup_tokens", box.pk)


@roles_required(*CAMPAIGN_EDITORS)
def print_pdf(request: HttpRequest, box_id: int) -> HttpResponse:
    """?kind=sheets|slips&group=<index>&unused=1 → a PDF download."""
    user = _user(request)
    box = access.get_ballot_box(user, box_id, write=True)
    kind = request.GET.get("kind", "sheets")
    group = _int(request.GET.get("group"))
    unused = request.GET.get("unused") == "1"
    try:
        toks = setup.tokens_for_print(user, box, kind, group, unused)
        data = pdf.ballot_sheets_pdf(box, toks) if kind == "sheets" else pdf.qr_slips_pdf(box, toks)
    except ValidationError as e:
        _errors(request, e)
        return _back(box)
    name = f"ballot-{box.pk}-{kind}{'' if group is None else f'-g{group + 1}'}{'-unused' if unused else ''}.pdf"
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"  # the file holds voting credentials
    return response


MOVES = {"open": "已开始投票", "close": "已封箱", "reopen": "已重新开启投票", "publish": "已公布测评结果"}


@require_POST
@roles_required(*CAMPAIGN_EDITORS)
def move(request: HttpRequest, box_id: int, to: str) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id, write=True)
    try:
        if to == "open":
            setup.open_box(user, box)
        elif to == "close":
            setup.close_box(user, box)
        elif to == "reopen":
            setup.reopen_box(user, box, request.POST.get("reason", ""))
        elif to == "publish":
            setup.publish_box(user, box)
        else:
            raise ValidationError("未知的操作")
    except ValidationError as e:
        _errors(request, e)
    else:
        messages.success(request, MOVES[to])
    return _back(box)
