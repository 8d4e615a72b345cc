"""Voter pages under /v/ (no login): enter the short code, fill the ballot, review, submit, see the receipt.

Light on purpose: own small CSS, one small optional script, no htmx/Alpine/ECharts, no cookies, no analytics.
Works without JavaScript. The pages never log or store who looked at what: the gunicorn logger drops these
paths from the access log (shuping.core.gunicorn_logging) and nothing here writes an audit event.

The hot path (everyone scans at once when the chair says 请扫码测评): the ballot page is the same for every
token of a box but for the token secret (in two form actions), the page's nonce and the voter group's name.
So it is rendered once per box version and per process, with markers in those places, and each request only
joins the cached pieces with its own three values (`BoxPages`). One query per GET (token and box together);
a submission is that query plus the cast. With JavaScript the review is shown in the page (vote.js) and
确认提交 posts straight to /submit/; without it 下一步 still gets the server-rendered review page.

CSRF: the POSTs are exempt. CSRF protects a logged-in user's ambient credentials (cookies); a voter has none.
The credential here is the token secret in the URL (128 bits), which a cross-site attacker does not know —
and knowing it would let them vote directly anyway. Exemption also means the voter's phone gets no cookie
at all, which WeChat's in-app browser handles poorly and which would be one more thing on the device.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from shuping.ballots import codes
from shuping.ballots.actions import voting
from shuping.ballots.casting import TokenRefused
from shuping.ballots.models import BallotBox, BallotToken
from shuping.campaigns.models import Campaign

GRADE_CHOICES = [("1", "好"), ("2", "较好"), ("3", "一般"), ("4", "差"), ("0", "弃权")]
STATUS_FOR_REASON = {TokenRefused.UNKNOWN: 404, voting.TooManyGuesses.reason: 429}
LAYOUT_CHANGED = "测评票内容已更新，请重新打开测评页面填写"

# A cached page set is rebuilt after this many seconds even when nothing in its key changed, so that a
# reporter's unit or name, or the campaign title, edited while voting is open shows within seconds.
PAGE_TTL = 5.0


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


# ---------------------------------------------------------------- the per-box page cache

# Markers rendered in place of the per-voter values; random per process, so no stored text can forge one.
_MARK = secrets.token_hex(8)
MARKERS = {name: f"zz{name}{_MARK}zz" for name in ("secret", "nonce", "group", "receipt", "receiptshown")}
_MARKER_RE = re.compile("(" + "|".join(MARKERS.values()) + ")")
_SLOT_OF = {marker: name for name, marker in MARKERS.items()}


@dataclass(frozen=True)
class Stencil:
    """A rendered page cut at the markers: literal pieces and, between them, the names of the values."""

    pieces: tuple[str, ...]
    slots: tuple[str, ...]  # len(pieces) == len(slots) + 1

    @classmethod
    def cut(cls, page: str) -> Stencil:
        parts = _MARKER_RE.split(page)
        return cls(tuple(parts[0::2]), tuple(_SLOT_OF[m] for m in parts[1::2]))

    def fill(self, values: dict[str, str]) -> str:
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(values[slot])
            out.append(piece)
        return "".join(out)


@dataclass(frozen=True)
class BoxPages:
    """Everything the voter pages of one box version need, built with two queries and reused."""

    key: tuple[Any, ...]
    built: float
    layout: voting.BallotLayout
    campaign_title: str
    group_names: tuple[str, ...]
    base: dict[str, Any]  # the template context every voter page of this box shares
    ballot: Stencil
    done: Stencil
    done_again: Stencil

    def group_name(self, group: int) -> str:
        return self.group_names[group] if 0 <= group < len(self.group_names) else f"第{group + 1}类"


_PAGES: dict[int, BoxPages] = {}


def box_key(box: BallotBox) -> tuple[Any, ...] | None:
    """What the cached pages depend on, all of it loaded with the token. None: do not cache this box
    (not opened through open_box, so there is no opening time to tell one opening from another)."""
    if box.opened_at is None:
        return None
    # urn_key_id: a seal names a new urn key, so a box reopened after 封箱 gets freshly built pages.
    return (box.pk, box.campaign_id, box.opened_at, box.state, tuple(box.items), box.comments_enabled,
            box.comment_max_chars, getattr(box, "urn_key_id", ""))


def _context(base: dict[str, Any], secret: str, nonce: str, group_name: str,
             choices: dict[int, tuple[str, str]] | None = None) -> dict[str, Any]:
    return {**base, "secret": secret, "nonce": nonce, "group_name": group_name,
            "rows": _rows(base["lines"], base["items"], choices or {})}


def _rows(lines: tuple[dict[str, Any], ...], items: tuple[str, ...],
          choices: dict[int, tuple[str, str]]) -> list[dict[str, Any]]:
    """Template rows; `choices` maps a position to (grades char, item chars) already chosen."""
    rows = []
    for ln in lines:
        grade, item_chars = choices.get(ln["pos"], ("", ""))
        chosen = grade if grade != codes.ABSTAIN else ""
        rows.append({
            **ln,
            "field": f"g{ln['pid']}",
            "chosen": chosen,
            "chosen_label": codes.GRADE_LABELS.get(chosen, ""),
            "items": [{"name": name, "field": f"i{ln['pid']}_{k}",
                       "chosen": item_chars[k] if k < len(item_chars) else "",
                       "chosen_label": codes.GRADE_LABELS.get(item_chars[k], "") if k < len(item_chars) else ""}
                      for k, name in enumerate(items)],
        })
    return rows


def _build(box: BallotBox, key: tuple[Any, ...] | None) -> BoxPages:
    lines = voting.lines_for_display(box)
    campaign = Campaign.objects.values("title", "scheme").get(pk=box.campaign_id)
    groups = tuple(str(g.get("name", "")) for g in (campaign["scheme"] or {}).get("voter_groups", []))
    layout = voting.BallotLayout(participant_ids=tuple(ln.participant_id for ln in lines),
                                 items=tuple(str(i) for i in box.items))
    voting.remember_layout(box, layout)  # the submit path reads the same lines as the page it answers
    base = {
        "campaign_title": campaign["title"],
        "items": layout.items,
        "lines": tuple({"pid": ln.participant_id, "pos": ln.position, "unit": ln.participant.unit.name,
                        "person": ln.participant.secretary.name if ln.participant.secretary else "",
                        "mode": ln.participant.mode} for ln in lines),
        "n_lines": len(lines),
        "n_items": len(layout.items),
        "comments_enabled": box.comments_enabled,
        "comment_max_chars": box.comment_max_chars,
        "layout_sig": layout.signature,
        "grade_choices": GRADE_CHOICES,
        "item_choices": GRADE_CHOICES[:4],
    }
    ballot = render_to_string("ballots/vote/ballot.html", _context(
        base, MARKERS["secret"], MARKERS["nonce"], MARKERS["group"]))
    done = {"campaign_title": campaign["title"], "receipt": MARKERS["receipt"],
            "receipt_display": MARKERS["receiptshown"]}
    return BoxPages(
        key=key or (), built=time.monotonic(), layout=layout, campaign_title=campaign["title"], group_names=groups,
        base=base, ballot=Stencil.cut(ballot),
        done=Stencil.cut(render_to_string("ballots/vote/done.html", {**done, "already_counted": False})),
        done_again=Stencil.cut(render_to_string("ballots/vote/done.html", {**done, "already_counted": True})),
    )


def pages_for(box: BallotBox) -> BoxPages:
    """The box's cached pages, rebuilt when anything in `box_key` changed or after PAGE_TTL seconds."""
    key = box_key(box)
    cached = _PAGES.get(box.pk)
    if key is not None and cached is not None and cached.key == key and time.monotonic() - cached.built < PAGE_TTL:
        return cached
    pages = _build(box, key)
    if key is not None:
        if len(_PAGES) > 64:
            _PAGES.clear()
        _PAGES[box.pk] = pages
    return pages


def _html(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


# ---------------------------------------------------------------- views


def _message(request: HttpRequest, message: str, status: int = 409, token: BallotToken | None = None,
             title: str = "无法投票") -> HttpResponse:
    return render(request, "ballots/vote/message.html",
                  {"title": title, "message": message, "token": token}, status=status)


def _refused(request: HttpRequest, e: TokenRefused | voting.TooManyGuesses) -> HttpResponse:
    return _message(request, e.message, STATUS_FOR_REASON.get(e.reason, 409))


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
            token = voting.find_token(code=typed, client_key=voting.client_key(request.META.get("REMOTE_ADDR", "")),
                                      with_campaign=False)
            return redirect("vote:ballot", secret=token.secret)
        except (TokenRefused, voting.TooManyGuesses) as e:
            error, status = e.message, STATUS_FOR_REASON.get(e.reason, 409)
    return render(request, "ballots/vote/enter.html", {"error": error, "typed": typed}, status=status)


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


def _check_layout(request: HttpRequest, layout: voting.BallotLayout) -> None:
    """The grade strings are positional: refuse a page rendered for other lines (or items) than today's."""
    sent = request.POST.get("layout", "")
    if sent and sent != layout.signature:
        raise ValidationError(LAYOUT_CHANGED)


def _choices(layout: voting.BallotLayout, grades: str, item_grades: str) -> dict[int, tuple[str, str]]:
    n = len(layout.items)
    return {pos: (grades[pos] if pos < len(grades) else "", item_grades[pos * n:(pos + 1) * n])
            for pos in range(layout.n_lines)}


@voter_page
@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, secret: str) -> HttpResponse:
    """GET: the ballot. POST (without JavaScript): "下一步" → the review page; or "返回修改" from the review →
    the ballot, filled in."""
    try:
        token = voting.find_token(secret=secret, with_campaign=False)
    except TokenRefused as e:
        return _refused(request, e)
    if refusal := voting.token_refusal(token):
        return _message(request, refusal.message, token=token)
    box = token.box
    pages = pages_for(box)
    group = escape(pages.group_name(token.group))
    if request.method == "GET":
        return _html(pages.ballot.fill({"secret": token.secret, "nonce": voting.new_nonce(), "group": group}))

    post = request.POST
    layout = pages.layout
    nonce = post.get("nonce", "")
    if post.get("edit"):
        return render(request, "ballots/vote/ballot.html", _context(
            pages.base, token.secret, nonce or voting.new_nonce(), pages.group_name(token.group),
            _choices(layout, post.get("grades", ""), post.get("item_grades", "")))
            | {"comment": post.get("comment", "")})
    try:
        _check_layout(request, layout)
        voting.check_nonce(nonce)
        grades, item_grades, comment = _from_form(request, layout)
        voting.check_ballot(token, layout, grades, item_grades, comment)
    except ValidationError as e:
        return render(request, "ballots/vote/ballot.html", _context(
            pages.base, token.secret, voting.new_nonce(), pages.group_name(token.group))
            | {"comment": post.get("comment", "")[:box.comment_max_chars], "errors": e.messages}, status=400)
    ctx = _context(pages.base, token.secret, nonce, pages.group_name(token.group),
                   _choices(layout, grades, item_grades))
    ctx.update(grades=grades, item_grades=item_grades, comment=comment.strip(),
               n_chosen=sum(1 for ch in grades if ch != codes.ABSTAIN))
    return render(request, "ballots/vote/review.html", ctx)


@voter_page
@require_POST
def submit(request: HttpRequest, secret: str) -> HttpResponse:
    """"确认提交" (from the in-page review or the review page): cast the ballot; a retry of the same page
    (same nonce) says it was already counted."""
    try:
        token = voting.find_token(secret=secret, with_campaign=False)
    except TokenRefused as e:
        return _refused(request, e)
    post = request.POST
    pages = pages_for(token.box)
    try:
        _check_layout(request, pages.layout)
        result = voting.submit(token, post.get("grades", ""), post.get("item_grades", ""),
                               post.get("comment", ""), post.get("nonce", ""), layout=pages.layout)
    except TokenRefused as e:
        return _message(request, e.message, token=token)
    except ValidationError as e:
        return _message(request, "；".join(e.messages), status=400, token=token, title="提交未被接受")
    page = pages.done_again if result.already_counted else pages.done
    return _html(page.fill({"receipt": result.receipt, "receiptshown": f"{result.receipt[:5]}-{result.receipt[5:]}"}))
