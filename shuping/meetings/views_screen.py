"""The projector screen of 述职评议会: no login, the meeting's `screen_key` in the URL (a wrong key is 404).

The page is a shell drawn by static/meetings/screen.js, which polls `state.json` every 500 ms with
If-None-Match: the answer is 304 while nothing on screen changed (ETag = hash of the state without
`server_now`), else 200 with the state of shuping/meetings/state.py. Both carry `X-Server-Now` (ms since
epoch) so a screen keeps correcting its clock even while it only gets 304s. Nothing is cached on the way
(Cache-Control: no-store): a proxy must never answer a screen with an old countdown.

Cost: 50 screens polling twice a second are 100 requests/s. Building the state takes a handful of queries
(~10 ms on SQLite), so each worker process keeps the last state it built per screen key and answers from
it while `Meeting.version` (one indexed query) is unchanged — every meeting action bumps it — and the state
is younger than LIVE_SECONDS. Figures that move without an action (ballot turnout during 民主测评, judges'
submissions, the ranking) therefore reach the screens within LIVE_SECONDS plus one poll.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from typing import Any

import segno
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shuping.ballots.models import BallotBox
from shuping.ballots.pdf import enter_url
from shuping.meetings.models import Meeting
from shuping.meetings.state import build_state

LIVE_SECONDS = 1.0
# screen key → (version, monotonic time built, ETag, state); per worker process, a few entries at most.
_built: dict[str, tuple[int, float, str, dict[str, Any]]] = {}


def _meeting(key: str) -> Meeting:
    meeting = (Meeting.objects.select_related("campaign").filter(screen_key=key).first()
               if key else None)
    if meeting is None:
        raise Http404("大屏地址无效")
    return meeting


def state_etag(state: dict[str, Any]) -> str:
    """Quoted strong ETag of what the screens show: the state without the clock reading."""
    body = {k: v for k, v in state.items() if k != "server_now"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    return f'"{digest[:24]}"'


def _matches(request: HttpRequest, etag: str) -> bool:
    wanted = request.headers.get("If-None-Match", "")
    return any(tag.strip().removeprefix("W/") == etag for tag in wanted.split(",")) if wanted else False


def state_response(request: HttpRequest, state: dict[str, Any], etag: str | None = None) -> HttpResponse:
    """200 with the state, or 304 when the client's ETag still matches; never cached."""
    etag = etag or state_etag(state)
    response: HttpResponse
    if _matches(request, etag):
        response = HttpResponse(status=304)
    else:
        response = JsonResponse(state, json_dumps_params={"ensure_ascii": False})
    response["ETag"] = etag
    response["Cache-Control"] = "no-store"
    response["X-Server-Now"] = str(state.get("server_now") or int(time.time() * 1000))
    return response


@require_GET
def screen(request: HttpRequest, key: str) -> HttpResponse:
    meeting = _meeting(key)
    state = build_state(meeting)
    response = render(request, "meetings/screen/screen.html", {
        "meeting": meeting, "state": state, "key": key,
    })
    response["Cache-Control"] = "no-store"
    return response


def screen_state(key: str) -> tuple[dict[str, Any], str]:
    """The state for the screens of `key` and its ETag: rebuilt when the version moved or it is stale."""
    row = Meeting.objects.filter(screen_key=key).values_list("pk", "version").first() if key else None
    if row is None:
        raise Http404("大屏地址无效")
    pk, version = row
    cached = _built.get(key)
    if cached and cached[0] == version and time.monotonic() - cached[1] < LIVE_SECONDS:
        state = {**cached[3], "server_now": int(time.time() * 1000)}
        return state, cached[2]
    state = build_state(Meeting(pk=pk))
    etag = state_etag(state)
    if len(_built) > 100:  # keys of old meetings
        _built.clear()
    _built[key] = (version, time.monotonic(), etag, state)
    return state, etag


@require_GET
def state_json(request: HttpRequest, key: str) -> HttpResponse:
    state, etag = screen_state(key)
    return state_response(request, state, etag)


@require_GET
def vote_qr(request: HttpRequest, key: str) -> HttpResponse:
    """The QR code of the voters' entry page (/v/), as SVG; 404 when the campaign has no ballot box."""
    meeting = _meeting(key)
    if not BallotBox.objects.filter(campaign_id=meeting.campaign_id).exists():
        raise Http404("本次会议没有民主测评")
    url = enter_url()
    etag = '"' + hashlib.sha256(url.encode()).hexdigest()[:24] + '"'
    if _matches(request, etag):
        response = HttpResponse(status=304)
    else:
        buf = io.BytesIO()
        # Medium error correction: readable from the back of a hall off a projected, slightly blurred image.
        segno.make(url, error="m", micro=False).save(buf, kind="svg", border=2, omitsize=True, xmldecl=False,
                                                    dark="#000", light="#fff", title="民主测评二维码")
        response = HttpResponse(buf.getvalue(), content_type="image/svg+xml")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"  # may be kept, but asked again: the public URL can change
    return response
