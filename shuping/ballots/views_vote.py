"""Voter pages under /v/ (no login): enter the short code, fill the ballot, review, submit, see the receipt.

Light on purpose: own small CSS, one tiny optional script, no htmx/Alpine/ECharts, no cookies, no analytics.
Works without JavaScript. The pages never log or store who looked at what: the gunicorn logger drops these
paths from the access log (shuping.core.gunicorn_logging) and nothing here writes an audit event.

CSRF: the POSTs are exempt. CSRF protects a logged-in user's ambient credentials (cookies); a voter has none.
The credential here is the token secret in the URL (128 bits), which a cross-site attacker does not know —
and knowing it would let them vote directly anyway. Exemption also means the voter's phone gets no cookie
at all, which WeChat's in-app browser handles poorly and which would be one more thing on the device.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from shuping.ballots import codes
from shuping.ballots.actions import voting
from shuping.ballots.casting import TokenRefused
from shuping.ballots.models import BallotBox, BallotLine, BallotToken

GRADE_CHOICES = [("1", "好"), ("2", "较好"), ("3", "一般"), ("4", "差"), ("0", "弃权")]
STATUS_FOR_REASON = {TokenRefused.UNKNOWN: 404, voting.TooManyGuesses.reason: 429}


def voter_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """No cache, no referrer (the URL holds the token), no CSRF cookie (see module docstring)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        # Django would log each 4xx with its path (which holds the token) and the time: not for voter pages.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response

    return csrf_exempt(never_cache(wrapped))


def _message(request: HttpRequest, message: str, status: int = 409, token: BallotToken | None = None,
             title: str = "无法投票") -> HttpResponse:
    return render(request, "ballots/vote/message.html",
                  {"title": title, "message": message, "token": token}, status=status)


def _refused(request: HttpRequest, e: TokenRefused | voting.TooManyGuesses) -> HttpResponse:
    return _message(request, e.message, STATUS_FOR_REASON.get(e.reason, 409))


def _find(request: HttpRequest, secret: str) -> BallotToken:
    return voting.find_token(secret=secret)


@voter_page
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest) -> HttpResponse:
    """/v/: type the short code printed on the slip (for phones that cannot scan)."""
    error = ""
    status = 200
    typed = ""
    if request.method == "POST":
        typed = request.POST.get("code", "")[:40]
        try:
            token = voting.find_token(code=typed, client_key=voting.client_key(request.META.get("REMOTE_ADDR", "")))
            return redirect("vote:ballot", secret=token.secret)
        except (TokenRefused, voting.TooManyGuesses) as e:
            error, status = e.message, STATUS_FOR_REASON.get(e.reason, 409)
    return render(request, "ballots/vote/enter.html", {"error": error, "typed": typed}, status=status)


def _rows(box: BallotBox, lines: list[BallotLine], grades: str = "", item_grades: str = "") -> list[dict[str, Any]]:
    n_items = len(box.items)
    rows = []
    for ln in lines:
        pos = ln.position
        chosen = grades[pos] if pos < len(grades) and grades[pos] != codes.ABSTAIN else ""
        items = []
        for k, name in enumerate(box.items):
            idx = pos * n_items + k
            items.append({"name": name, "field": f"i{ln.participant_id}_{k}",
                          "chosen": item_grades[idx] if idx < len(item_grades) else ""})
        rows.append({
            "line": ln,
            "field": f"g{ln.participant_id}",
            "chosen": chosen,
            "chosen_label": codes.GRADE_LABELS.get(chosen, ""),
            "items": items,
        })
    return rows


def _ballot_context(token: BallotToken, lines: list[BallotLine], nonce: str, grades: str = "",
                    item_grades: str = "", comment: str = "", errors: list[str] | None = None) -> dict[str, Any]:
    box = token.box
    return {
        "token": token,
        "box": box,
        "campaign": box.campaign,
        "group_name": voting.group_name(box, token.group),
        "rows": _rows(box, lines, grades, item_grades),
        "grade_choices": GRADE_CHOICES,
        "item_choices": GRADE_CHOICES[:4],
        "nonce": nonce,
        "comment": comment,
        "errors": errors or [],
        "n_lines": len(lines),
    }


def _from_form(request: HttpRequest, layout: voting.BallotLayout) -> tuple[str, str, str]:
    """The ballot form's radio buttons → (grades, item_grades, comment). Tampered fields are refused:
    a grade for a reporter not on this ballot, an unknown value, an item that does not exist."""
    post = request.POST
    mapping: dict[str, str] = {}
    item_mapping: dict[str, dict[str, str]] = {}
    for name in post:
        if name.startswith("g") and name[1:].isdigit():
            mapping[name[1:]] = post[name]
        elif name.startswith("i") and "_" in name:
            pid, _, k = name[1:].partition("_")
            if not (pid.isdigit() and k.isdigit()):
                raise ValidationError("选票内容有误：存在无法识别的选项")
            item_mapping.setdefault(pid, {})[k] = post[name]
    for value in [*mapping.values(), *(v for d in item_mapping.values() for v in d.values())]:
        if value not in codes.VALID_CHARS:
            raise ValidationError("选票内容有误：存在无效的评价选项")
    grades = voting.grades_from_mapping(layout, mapping)
    item_grades = voting.item_grades_from_mapping(layout, item_mapping)
    return grades, item_grades, post.get("comment", "")


@voter_page
@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, secret: str) -> HttpResponse:
    """GET: the ballot. POST: "下一步" → the review page; or "返回修改" from the review → the ballot, filled in."""
    try:
        token = _find(request, secret)
    except TokenRefused as e:
        return _refused(request, e)
    if refusal := voting.token_refusal(token):
        return _message(request, refusal.message, token=token)
    box = token.box
    layout = voting.layout_of(box)
    lines = voting.lines_for_display(box)
    if request.method == "GET":
        return render(request, "ballots/vote/ballot.html", _ballot_context(token, lines, voting.new_nonce()))

    post = request.POST
    nonce = post.get("nonce", "")
    if post.get("edit"):
        return render(request, "ballots/vote/ballot.html", _ballot_context(
            token, lines, nonce or voting.new_nonce(), post.get("grades", ""), post.get("item_grades", ""),
            post.get("comment", "")))
    try:
        voting.check_nonce(nonce)
        grades, item_grades, comment = _from_form(request, layout)
        voting.check_ballot(token, layout, grades, item_grades, comment)
    except ValidationError as e:
        return render(request, "ballots/vote/ballot.html", _ballot_context(
            token, lines, voting.new_nonce(), comment=post.get("comment", "")[:box.comment_max_chars],
            errors=e.messages), status=400)
    ctx = _ballot_context(token, lines, nonce, grades, item_grades, comment.strip())
    ctx.update(grades=grades, item_grades=item_grades,
               n_chosen=sum(1 for ch in grades if ch != codes.ABSTAIN))
    return render(request, "ballots/vote/review.html", ctx)


@voter_page
@require_POST
def submit(request: HttpRequest, secret: str) -> HttpResponse:
    """"确认提交": cast the ballot; a retry of the same page (same nonce) says it was already counted."""
    try:
        token = _find(request, secret)
    except TokenRefused as e:
        return _refused(request, e)
    post = request.POST
    try:
        result = voting.submit(token, post.get("grades", ""), post.get("item_grades", ""),
                               post.get("comment", ""), post.get("nonce", ""))
    except TokenRefused as e:
        return _message(request, e.message, token=token)
    except ValidationError as e:
        return _message(request, "；".join(e.messages), status=400, token=token, title="提交未被接受")
    return render(request, "ballots/vote/done.html", {
        "receipt": result.receipt,
        "receipt_display": f"{result.receipt[:5]}-{result.receipt[5:]}",
        "already_counted": result.already_counted,
        "campaign": token.box.campaign,
    })
