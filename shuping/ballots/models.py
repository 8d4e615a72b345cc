"""民主测评: the ballot box, its tokens and its ballots.

Integrity (domain.md): a ballot can never be linked to a token, voter, device or time.
- `BallotToken` records that a token was used (and how: phone/paper), never which ballot, never when.
- While the box is open a cast ballot exists only as an `EncryptedBallot` (the sealed urn, 封箱即混洗,
  shuping.ballots.urn): one AES-GCM blob of fixed size under a key kept outside the database. The token
  claim and that row commit in one transaction, so they share a transaction id — and the blob is unreadable.
- At 封箱 one transaction decrypts the urn, writes `Ballot`, `BallotComment` and `BallotReceipt` rows, each
  set in its own random order with fresh random keys, deletes the encrypted rows and retires the key, whose
  file is deleted on commit. Nothing stored then links a grade, a comment or a receipt to a token or to
  each other.
- `PaperEntry` (a teller's keying awaiting the second teller) does hold the token; it is deleted the
  moment the two keyings agree and the ballot is cast (into the urn, like a phone ballot).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuping.ballots.codes import new_key_id


class BoxState(models.TextChoices):
    SETUP = "setup", _("准备中")
    OPEN = "open", _("投票中")
    CLOSED = "closed", _("已封箱")
    PUBLISHED = "published", _("已公布")


class BallotBox(models.Model):
    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.PROTECT, related_name="ballot_box")
    state = models.CharField(_("状态"), max_length=10, choices=BoxState.choices, default=BoxState.SETUP)
    items = models.JSONField(_("分项"), default=list, blank=True)  # names of per-item grades (may be empty)
    comments_enabled = models.BooleanField(_("意见建议栏"), default=True)
    comment_max_chars = models.PositiveIntegerField(_("意见建议字数上限"), default=500)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The name of the current urn key (its file lives outside the database, see shuping.ballots.urn);
    # a seal retires it and names a new one. `retired_key_id` is set until the old file is deleted.
    urn_key_id = models.CharField(max_length=32, default=new_key_id, editable=False)
    retired_key_id = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("票箱")
        verbose_name_plural = _("票箱")

    def __str__(self) -> str:
        return f"{self.campaign} 民主测评"


class BallotLine(models.Model):
    """A reporter on the ballot; `position` is the index into every ballot's grade string."""

    box = models.ForeignKey(BallotBox, on_delete=models.CASCADE, related_name="lines")
    participant = models.ForeignKey("campaigns.Participant", on_delete=models.PROTECT, related_name="ballot_lines")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["box", "position"]
        constraints = [
            models.UniqueConstraint(fields=["box", "position"], name="unique_line_position"),
            models.UniqueConstraint(fields=["box", "participant"], name="unique_line_participant"),
        ]


class TokenStatus(models.TextChoices):
    ISSUED = "issued", _("未使用")
    USED = "used", _("已使用")
    INVALID = "invalid", _("废票")
    REVOKED = "revoked", _("已作废")


class TokenChannel(models.TextChoices):
    NONE = "", _("—")
    PHONE = "phone", _("手机")
    PAPER = "paper", _("纸质")


class BallotToken(models.Model):
    box = models.ForeignKey(BallotBox, on_delete=models.PROTECT, related_name="tokens")
    group = models.PositiveSmallIntegerField(_("测评人员类别"))  # index into campaign.scheme["voter_groups"]
    serial = models.PositiveIntegerField(_("票号"))  # printed on the sheet, 1..n within the box
    secret = models.CharField(max_length=32, unique=True)  # in the QR code, 128 bits
    code = models.CharField(max_length=12, unique=True)  # short, typable
    status = models.CharField(max_length=8, choices=TokenStatus.choices, default=TokenStatus.ISSUED)
    channel = models.CharField(max_length=5, choices=TokenChannel.choices, default=TokenChannel.NONE, blank=True)
    # sha256 of the phone page's one-time nonce: lets a retried submission say "already counted".
    submission_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["box", "serial"]
        constraints = [models.UniqueConstraint(fields=["box", "serial"], name="unique_token_serial")]
        indexes = [models.Index(fields=["box", "group", "status"])]

    def __str__(self) -> str:
        return f"{self.box_id}#{self.serial}"


class EncryptedBallot(models.Model):
    """A ballot as cast, in the sealed urn until 封箱: group, grades, item grades, comment and receipt in one
    AES-GCM blob of a size fixed per box (padded), under the key named `key_id`. See shuping.ballots.urn."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    box = models.ForeignKey(BallotBox, on_delete=models.PROTECT, related_name="urn")
    key_id = models.CharField(max_length=32)
    blob = models.BinaryField()


class Ballot(models.Model):
    """One sealed ballot. Deliberately no token, no time, no sequence, no receipt: see the module docstring."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    box = models.ForeignKey(BallotBox, on_delete=models.PROTECT, related_name="ballots")
    group = models.PositiveSmallIntegerField()
    grades = models.CharField(max_length=500)  # see shuping.ballots.codes
    item_grades = models.CharField(max_length=4000, blank=True)


class BallotComment(models.Model):
    """意见建议 from a ballot, kept apart from it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    box = models.ForeignKey(BallotBox, on_delete=models.PROTECT, related_name="comments")
    text = models.TextField()


class BallotReceipt(models.Model):
    """A sealed ballot's receipt, kept apart from it: the published list lets each voter check theirs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    box = models.ForeignKey(BallotBox, on_delete=models.PROTECT, related_name="receipts")
    receipt = models.CharField(max_length=12)


class InvalidSheet(models.Model):
    """A spoiled paper sheet (废票), recorded by a teller with the reason."""

    box = models.ForeignKey(BallotBox, on_delete=models.PROTECT, related_name="invalid_sheets")
    token = models.OneToOneField(BallotToken, on_delete=models.PROTECT, related_name="invalid_sheet")
    reason = models.CharField(_("原因"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")


class PaperEntry(models.Model):
    """One teller's keying of a paper sheet, waiting for the second teller's blind keying.

    Deleted as soon as both agree and the ballot is cast (or the sheet is resolved)."""

    box = models.ForeignKey(BallotBox, on_delete=models.CASCADE, related_name="paper_entries")
    token = models.ForeignKey(BallotToken, on_delete=models.CASCADE, related_name="paper_entries")
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grades = models.CharField(max_length=500)
    item_grades = models.CharField(max_length=4000, blank=True)
    comment = models.TextField(blank=True)
    blank_sheet = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "teller"], name="one_entry_per_teller")]


class GuessThrottle(models.Model):
    """Failed short-code look-ups per client key (a hash of the address) in the current window.

    Kept only for rate limiting; never joined to ballots or tokens."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
