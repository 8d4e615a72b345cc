"""Integrity (domain.md): nothing stored, logged or audited links a ballot to its token, voter, device or time.

Proven on the schema (models and the real database columns), on the rows left after a mixed phone/API/paper
session, on the audit log, and on the access log the server writes.
"""

from __future__ import annotations

import io
import json
import logging
import re
import uuid

import pytest
from django.db import connection, models
from django.test import Client
from django.urls import reverse

from shuping.accounts.models import Role
from shuping.audit.models import AuditEvent
from shuping.ballots.actions import paper
from shuping.ballots.models import (
    Ballot,
    BallotComment,
    BallotReceipt,
    BallotToken,
    EncryptedBallot,
    PaperEntry,
    TokenStatus,
)
from shuping.ballots.tests.conftest import sealed
from shuping.conftest import make_user
from shuping.core import gunicorn_logging
from shuping.core.management.commands.serve import gunicorn_argv

TIME_FIELDS = (models.DateTimeField, models.DateField, models.TimeField, models.DurationField)
NETWORK_FIELDS = (models.GenericIPAddressField,)


def columns(model) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, model._meta.db_table)}


@pytest.mark.parametrize("model", [Ballot, BallotComment, BallotReceipt, EncryptedBallot])
def test_ballots_and_comments_point_to_nothing_but_their_box(db, model):
    relations = [f for f in model._meta.concrete_fields if f.is_relation]
    assert [(f.name, f.related_model.__name__) for f in relations] == [("box", "BallotBox")]
    assert not [f.name for f in model._meta.concrete_fields if isinstance(f, TIME_FIELDS + NETWORK_FIELDS)]
    # A random key, not a sequence that would give the order of casting.
    assert isinstance(model._meta.pk, models.UUIDField) and model._meta.pk.default is uuid.uuid4
    # And the real table has no column beyond these (nothing added by hand or by a later migration).
    expected = {"Ballot": {"id", "box_id", "group", "grades", "item_grades"},
                "BallotComment": {"id", "box_id", "text"},
                "BallotReceipt": {"id", "box_id", "receipt"},
                "EncryptedBallot": {"id", "box_id", "key_id", "blob"}}[model.__name__]
    assert columns(model) == expected


def test_nothing_points_at_a_ballot_or_a_comment(db):
    from django.apps import apps

    for m in apps.get_models():
        for f in m._meta.concrete_fields:
            if f.is_relation:
                assert f.related_model not in (Ballot, BallotComment, BallotReceipt, EncryptedBallot), \
                    f"{m.__name__}.{f.name}"


def test_tokens_keep_no_time_and_no_address(db):
    fields = BallotToken._meta.concrete_fields
    assert not [f.name for f in fields if isinstance(f, TIME_FIELDS + NETWORK_FIELDS)]
    assert not [f.name for f in fields if f.is_relation and f.name != "box"]
    assert not {"created", "used_at", "updated_at", "ip", "user_agent"} & columns(BallotToken)


@pytest.fixture
def session(box, users):
    """A mixed session: two phones through the pages, one through the API, one paper sheet by two tellers,
    one retry, one refused second ballot. Returns what the voters were shown."""
    tokens = list(BallotToken.objects.filter(box=box).order_by("serial"))
    events_before = AuditEvent.objects.count()
    receipts = []
    for t, grades in ((tokens[0], "124"), (tokens[11], "333")):
        url = reverse("vote:submit", args=[t.secret])
        html = Client(REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="MicroMessenger/8.0").post(
            url, {"nonce": f"nonce-{t.serial}-abcdefghij", "grades": grades, "comment": f"意见{t.serial}"}).content.decode()
        receipts.append(re.search(r'data-receipt="(\w+)"', html).group(1))
    Client().post(reverse("vote:submit", args=[tokens[0].secret]), {"nonce": f"nonce-{tokens[0].serial}-abcdefghij",
                                                                    "grades": "124"})  # a retry
    Client().post(reverse("vote:submit", args=[tokens[0].secret]), {"nonce": "another-nonce-xxxxx", "grades": "444"})
    r = Client(REMOTE_ADDR="192.0.2.45").post("/api/ballots/cast", json.dumps(
        {"token": tokens[2].code, "grades": "210", "nonce": "api-nonce-1"}), content_type="application/json")
    receipts.append(r.json()["receipt"])
    teller_b = make_user("teller_b", Role.TELLER)
    sheet = BallotToken.objects.select_related("box").get(pk=tokens[5].pk)
    paper.key_sheet(users.teller, sheet, "444", comment="纸质意见")
    paper.key_sheet(teller_b, BallotToken.objects.select_related("box").get(pk=sheet.pk), "444", comment="纸质意见")
    return {"tokens": tokens, "receipts": receipts, "events_before": events_before}


def test_stored_rows_after_a_mixed_session_link_nothing(session, box):
    tokens = session["tokens"]
    sealed(box)
    ballots = list(Ballot.objects.all())
    receipts = set(BallotReceipt.objects.values_list("receipt", flat=True))
    assert sorted(b.grades for b in ballots) == ["124", "210", "333", "444"]
    assert set(session["receipts"]) < receipts and len(receipts) == 4
    used = BallotToken.objects.filter(status=TokenStatus.USED)
    assert used.count() == len(ballots) == 4
    assert sorted(used.values_list("channel", flat=True)) == ["paper", "phone", "phone", "phone"]
    # No token value, serial, secret, code or nonce hash appears in any ballot or comment row.
    token_values = set()
    for t in BallotToken.objects.all():
        token_values |= {t.secret, t.code, t.submission_hash} - {""}
    stored = json.dumps(list(Ballot.objects.values()) + list(BallotComment.objects.values())
                        + list(BallotReceipt.objects.values()), default=str)
    assert not [v for v in token_values if v in stored]
    # The token row keeps only sha256 of the page's nonce: not the receipt, not the grades.
    for t in used:
        assert t.submission_hash not in receipts
        assert not receipts & {t.secret, t.code}
    # Comments stand alone, with random keys.
    assert sorted(BallotComment.objects.values_list("text", flat=True)) == sorted(
        [f"意见{tokens[0].serial}", f"意见{tokens[11].serial}", "纸质意见"])
    # The paper keying that held the token is gone once the sheet is counted.
    assert not PaperEntry.objects.exists()
    # Nothing of the voters' devices was kept anywhere in the ballot tables.
    everything = stored + json.dumps(list(BallotToken.objects.values()), default=str)
    assert "192.0.2." not in everything and "MicroMessenger" not in everything


def test_the_audit_log_has_no_event_per_phone_ballot_and_no_grades(session):
    new = list(AuditEvent.objects.filter(seq__gt=session["events_before"]))
    # Only the paper sheet's confirmation (it names the sheet and the tellers, not the grades).
    assert [e.action for e in new] == ["ballot.paper_confirm"]
    text = json.dumps([[e.summary, e.data] for e in new], ensure_ascii=False)
    assert "444" not in text and "纸质意见" not in text
    assert not [r for r in session["receipts"] if r in text]
    assert not [t.secret for t in session["tokens"] if t.secret in text]


def test_refused_voter_requests_are_not_in_djangos_request_log(box, caplog):
    t = BallotToken.objects.filter(box=box).first()
    BallotToken.objects.filter(pk=t.pk).update(status=TokenStatus.USED)
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert Client().get(reverse("vote:ballot", args=[t.secret])).status_code == 409
        assert Client().post("/api/ballots/cast", json.dumps({"token": t.secret, "grades": "111", "nonce": "x"}),
                             content_type="application/json").status_code == 409
        assert Client().get(reverse("vote:ballot", args=["unknown-secret-xxxxxxx"])).status_code == 404
    assert t.secret not in caplog.text and "/v/" not in caplog.text


def _gunicorn_logger(stream: io.StringIO) -> gunicorn_logging.Logger:
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    log = gunicorn_logging.Logger(cfg)
    log.access_log.handlers = []
    handler = logging.StreamHandler(stream)
    log.access_log.addHandler(handler)
    return log


def _access(log: gunicorn_logging.Logger, path: str) -> None:
    from datetime import timedelta
    from types import SimpleNamespace

    environ = {"PATH_INFO": path, "RAW_URI": path, "REQUEST_METHOD": "POST", "REMOTE_ADDR": "192.0.2.9", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1"}
    req = SimpleNamespace(path=path, query="", method="POST", version=(1, 1), headers=[])
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[], response_length=10)
    log.access(resp, req, environ, timedelta(milliseconds=3))


def test_the_server_access_log_drops_voter_urls_and_keeps_the_rest():
    stream = io.StringIO()
    log = _gunicorn_logger(stream)
    for path in ("/v/", "/v/SeCrEtSeCrEtSeCrEt22/", "/v/SeCrEtSeCrEtSeCrEt22/submit/", "/api/ballots/cast"):
        _access(log, path)
    assert stream.getvalue() == ""
    _access(log, "/campaigns/")
    _access(log, "/api/ballots/1/tally")
    out = stream.getvalue()
    assert "/campaigns/" in out and "/api/ballots/1/tally" in out and "192.0.2.9" in out


def test_serve_runs_gunicorn_with_that_logger():
    argv = gunicorn_argv("127.0.0.1:8000", 2, [])
    assert argv[argv.index("--logger-class") + 1] == "shuping.core.gunicorn_logging.Logger"
    assert gunicorn_logging.is_private("/v/abc/") and not gunicorn_logging.is_private("/vote-results/")
