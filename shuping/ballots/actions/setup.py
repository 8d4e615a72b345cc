"""The organiser's side of 民主测评: create a campaign's ballot box, choose its reporters, items and comment
settings, issue and revoke tokens, and move the box through its states:

    准备中 (setup) → 投票中 (open) ⇄ 已封箱 (closed) → 已公布 (published)

封箱 seals the urn (shuping.ballots.urn): the encrypted ballots become shuffled plaintext ballots and the
urn key is destroyed. Paper ballots keyed after that go into the urn again under a new key, and
`seal_paper` seals them when the tellers have finished (publication waits for it).

Every function authorises through `shuping.accounts.access` (organisers only), runs in one transaction on
the box row locked FOR UPDATE (so concurrent moves queue up) and appends one aggregate audit event. Nothing
here touches a single ballot: events carry counts and serial ranges, never anything a ballot could be
linked with (domain.md "Integrity").

`box_flags` is the one check of the ballot-box rule "tokens issued ≥ ballots received"; `publish_box`
refuses while it reports anything, and the results pages reuse it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from shuping.accounts.access import CAMPAIGN_EDITORS, check_roles
from shuping.accounts.models import Role, User
from shuping.audit.log import record
from shuping.ballots import codes, urn
from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotLine,
    BallotToken,
    BoxState,
    EncryptedBallot,
    InvalidSheet,
    PaperEntry,
    TokenChannel,
    TokenStatus,
)
from shuping.campaigns.models import Campaign, CampaignState, Participant, ParticipantMode

# A box is set up and opened while the campaign is published or in its meeting.
CAMPAIGN_STATES = (CampaignState.PUBLISHED, CampaignState.MEETING)
ISSUE_STATES = (BoxState.SETUP, BoxState.OPEN)
REVOKE_STATES = (BoxState.SETUP, BoxState.OPEN, BoxState.CLOSED)

# Limits that follow from the Ballot columns (grades: 500 chars, item_grades: 4000 chars).
MAX_LINES = 500
MAX_ITEM_CELLS = 4000
MAX_ITEMS = 8
MAX_ITEM_NAME = 20
MAX_COMMENT_CHARS = 5000
MAX_TOKENS_PER_ISSUE = 5000
MAX_TOKENS_PER_BOX = 50000
MAX_REASON = 500

FLAG_TOO_MANY = "选票数与废票数之和多于发出的测评码数"
FLAG_PAPER_PENDING = "尚有纸质票未完成复核录入（或录入不一致待处理）"
FLAG_UNSEALED = "尚有已录入的纸质票未封存（未计入计票结果）：计票员录入完成后请点“封存纸质票”"
# Who may seal paper ballots keyed after 封箱: the tellers who keyed them, or an organiser.
SEALERS = (Role.TELLER, *CAMPAIGN_EDITORS)


def _label(state: str) -> str:
    return str(BoxState(state).label)


def _check_writer(actor: User) -> None:
    check_roles(actor, *CAMPAIGN_EDITORS)


def _lock(box: BallotBox) -> BallotBox:
    """Re-read the box under a row lock: state moves and token issues on one box queue up."""
    return BallotBox.objects.select_for_update().select_related("campaign").get(pk=box.pk)


def _refresh(target: BallotBox, locked: BallotBox) -> None:
    """Copy what an action changed back into the caller's instance."""
    for f in ("state", "items", "comments_enabled", "comment_max_chars", "opened_at", "closed_at", "urn_key_id",
              "retired_key_id"):
        setattr(target, f, getattr(locked, f))


def _require_state(box: BallotBox, states: Sequence[str], doing: str) -> None:
    if box.state not in states:
        allowed = "、".join(f"“{_label(s)}”" for s in states)
        raise ValidationError(f"票箱处于“{_label(box.state)}”状态，不能{doing}（只能在{allowed}状态下进行）")


def group_names(campaign: Campaign) -> list[str]:
    return [str(g["name"]) for g in campaign.scheme.get("voter_groups", [])]


def default_participants(campaign: Campaign) -> list[Participant]:
    """Everyone on the campaign: on-site reporters in speaking order, then written ones (roster order)."""
    rows = list(campaign.participants.select_related("unit"))
    big = 10**9

    def key(p: Participant) -> tuple[int, int, int, str]:
        return (0 if p.mode == ParticipantMode.ONSITE else 1,
                p.speaking_order if p.speaking_order is not None else big, p.unit.sort_order, p.unit.code)

    return sorted(rows, key=key)


# ---------------------------------------------------------------- the box and its contents


def create_box(actor: User, campaign: Campaign) -> BallotBox:
    """The campaign's ballot box with every participant on it and the scheme's ballot items."""
    _check_writer(actor)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.state not in CAMPAIGN_STATES:
            raise ValidationError(f"考核方案处于“{campaign.get_state_display()}”状态，不能创建民主测评票箱"
                                  "（须在“已发布”或“会议中”状态）")
        if BallotBox.objects.filter(campaign=campaign).exists():
            raise ValidationError("该考核方案已有民主测评票箱")
        participants = default_participants(campaign)
        if not participants:
            raise ValidationError("考核方案还没有述职对象，不能创建民主测评票箱")
        items = [str(n) for n in campaign.scheme.get("ballot_items", [])]
        _check_sizes(len(participants), items)
        box = BallotBox.objects.create(campaign=campaign, items=items)
        BallotLine.objects.bulk_create(
            [BallotLine(box=box, participant=p, position=i) for i, p in enumerate(participants)])
        record(actor, "ballot.box_create", box, f"创建民主测评票箱（{len(participants)} 名述职人）",
               {"campaign": campaign.pk, "lines": [p.pk for p in participants], "items": items})
    box.campaign = campaign
    return box


def _check_sizes(n_lines: int, items: list[str]) -> None:
    if n_lines > MAX_LINES:
        raise ValidationError(f"测评票上最多 {MAX_LINES} 名述职人，当前 {n_lines} 名")
    if n_lines * len(items) > MAX_ITEM_CELLS:
        raise ValidationError(f"述职人数 × 分项数不能超过 {MAX_ITEM_CELLS}（当前 {n_lines} × {len(items)}）")


def set_lines(actor: User, box: BallotBox, participant_ids: Sequence[int]) -> list[BallotLine]:
    """Choose and order the reporters on the ballot (only before voting starts)."""
    _check_writer(actor)
    ids = [int(i) for i in participant_ids]
    if not ids:
        raise ValidationError("测评票上至少要有一名述职人")
    if len(set(ids)) != len(ids):
        raise ValidationError("述职人不能重复")
    with transaction.atomic():
        locked = _lock(box)
        _require_state(locked, (BoxState.SETUP,), "调整述职人")
        known = set(Participant.objects.filter(campaign_id=locked.campaign_id, pk__in=ids).values_list("pk", flat=True))
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValidationError(f"以下述职对象不属于本考核方案：{'、'.join(map(str, unknown))}")
        _check_sizes(len(ids), list(locked.items))
        before = list(locked.lines.order_by("position").values_list("participant_id", flat=True))
        if before != ids:
            locked.lines.all().delete()
            lines = BallotLine.objects.bulk_create(
                [BallotLine(box=locked, participant_id=pid, position=i) for i, pid in enumerate(ids)])
            record(actor, "ballot.lines_set", locked, f"调整测评票述职人：共 {len(ids)} 名",
                   {"before": before, "after": ids})
        else:
            lines = list(locked.lines.order_by("position"))
    return lines


def update_box(actor: User, box: BallotBox, items: Iterable[str], comments_enabled: bool,
               comment_max_chars: int) -> BallotBox:
    """Per-item grades and the 意见建议 box (only before voting starts)."""
    _check_writer(actor)
    names = [str(n).strip() for n in items]
    names = [n for n in names if n]
    if len(names) > MAX_ITEMS:
        raise ValidationError(f"测评分项最多 {MAX_ITEMS} 项，当前 {len(names)} 项")
    if len(set(names)) != len(names):
        raise ValidationError("测评分项名称不能重复")
    long = [n for n in names if len(n) > MAX_ITEM_NAME]
    if long:
        raise ValidationError(f"测评分项名称不能超过 {MAX_ITEM_NAME} 字：{'、'.join(long)}")
    try:
        max_chars = int(comment_max_chars)
    except (TypeError, ValueError):
        raise ValidationError("意见建议字数上限应为整数") from None
    if not 1 <= max_chars <= MAX_COMMENT_CHARS:
        raise ValidationError(f"意见建议字数上限应在 1 到 {MAX_COMMENT_CHARS} 之间，当前为 {max_chars}")
    with transaction.atomic():
        locked = _lock(box)
        _require_state(locked, (BoxState.SETUP,), "修改测评票设置")
        _check_sizes(locked.lines.count(), names)
        before = {"items": list(locked.items), "comments_enabled": locked.comments_enabled,
                  "comment_max_chars": locked.comment_max_chars}
        after = {"items": names, "comments_enabled": bool(comments_enabled), "comment_max_chars": max_chars}
        if before != after:
            locked.items, locked.comments_enabled, locked.comment_max_chars = names, bool(comments_enabled), max_chars
            locked.save(update_fields=["items", "comments_enabled", "comment_max_chars"])
            record(actor, "ballot.box_update", locked, "修改测评票设置（分项、意见建议）",
                   {"before": before, "after": after})
        _refresh(box, locked)
    return box


# ---------------------------------------------------------------- tokens


def _unique_codes(n: int) -> list[str]:
    """n fresh short codes, none already stored (codes are unique across all boxes)."""
    out: set[str] = set()
    while len(out) < n:
        fresh = {codes.new_code() for _ in range(n - len(out))} - out
        fresh -= set(BallotToken.objects.filter(code__in=fresh).values_list("code", flat=True))
        out |= fresh
    return list(out)


def issue_tokens(actor: User, box: BallotBox, counts: dict[int, int]) -> list[BallotToken]:
    """Issue `counts[group]` new tokens per voter group; serials continue after the box's last one."""
    _check_writer(actor)
    names = group_names(box.campaign)
    wanted: list[tuple[int, int]] = []
    for g, n in sorted(counts.items()):
        g, n = int(g), int(n)
        if not 0 <= g < len(names):
            raise ValidationError(f"测评人员类别序号 {g} 不存在（本方案共 {len(names)} 类）")
        if n < 0:
            raise ValidationError(f"“{names[g]}”的数量不能为负数")
        if n:
            wanted.append((g, n))
    total = sum(n for _, n in wanted)
    if total == 0:
        raise ValidationError("请至少为一个测评人员类别填写发放数量")
    if total > MAX_TOKENS_PER_ISSUE:
        raise ValidationError(f"一次最多发放 {MAX_TOKENS_PER_ISSUE} 个测评码，当前 {total} 个")
    for attempt in range(3):
        try:
            with transaction.atomic():
                locked = _lock(box)
                _require_state(locked, ISSUE_STATES, "发放测评码")
                existing = locked.tokens.aggregate(n=Count("id"), last=Max("serial"))
                if existing["n"] + total > MAX_TOKENS_PER_BOX:
                    raise ValidationError(f"一个票箱最多 {MAX_TOKENS_PER_BOX} 个测评码")
                serial = existing["last"] or 0
                fresh = _unique_codes(total)
                tokens: list[BallotToken] = []
                ranges: dict[str, list[int]] = {}
                for g, n in wanted:
                    ranges[names[g]] = [serial + 1, serial + n]
                    for _ in range(n):
                        serial += 1
                        tokens.append(BallotToken(box=locked, group=g, serial=serial, secret=codes.new_secret(),
                                                  code=fresh.pop()))
                BallotToken.objects.bulk_create(tokens)
                per_group = {names[g]: n for g, n in wanted}
                summary = "发放测评码 " + "，".join(f"{k} {v} 个" for k, v in per_group.items())
                record(actor, "ballot.tokens_issue", locked, summary,
                       {"counts": per_group, "serials": ranges, "total": total})
            return tokens
        except IntegrityError:  # another box took one of the codes meanwhile: draw again
            if attempt == 2:
                raise ValidationError("生成测评码时发生冲突，请重试") from None
    raise AssertionError("unreachable")


def revoke_token(actor: User, token: BallotToken, reason: str) -> BallotToken:
    """Void an unused token (a lost or spoilt-before-use sheet); it can never cast a ballot afterwards."""
    _check_writer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("作废测评码须填写原因")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"原因不能超过 {MAX_REASON} 字")
    with transaction.atomic():
        locked = _lock(token.box)
        _require_state(locked, REVOKE_STATES, "作废测评码")
        if PaperEntry.objects.filter(token_id=token.pk).exists():
            raise ValidationError(f"票号 {token.serial} 的纸质票已在录入中，不能作废")
        # Conditional, like the cast path: a token used a moment ago stays used.
        n = BallotToken.objects.filter(pk=token.pk, status=TokenStatus.ISSUED).update(status=TokenStatus.REVOKED)
        if n != 1:
            current = BallotToken.objects.get(pk=token.pk)
            raise ValidationError(f"票号 {token.serial} 的测评码状态为“{current.get_status_display()}”，只能作废未使用的测评码")
        names = group_names(locked.campaign)
        group = names[token.group] if 0 <= token.group < len(names) else str(token.group)
        record(actor, "ballot.token_revoke", locked, f"作废测评码：票号 {token.serial}（{group}），原因：{reason}",
               {"serial": token.serial, "group": token.group, "reason": reason})
    token.status = TokenStatus.REVOKED
    return token


# ---------------------------------------------------------------- counts


@dataclass
class GroupTurnout:
    index: int
    name: str
    weight: str
    issued: int = 0  # not revoked
    phone: int = 0
    paper: int = 0
    invalid: int = 0
    revoked: int = 0

    @property
    def used(self) -> int:
        return self.phone + self.paper

    @property
    def remaining(self) -> int:
        return self.issued - self.used - self.invalid

    @property
    def percent(self) -> int:
        """Share of issued tokens used so far, whole percent (display only)."""
        return (self.used + self.invalid) * 100 // self.issued if self.issued else 0


@dataclass
class Turnout:
    state: str
    groups: list[GroupTurnout] = field(default_factory=list)
    total: GroupTurnout = field(default_factory=lambda: GroupTurnout(-1, "合计", "100"))

    def as_dict(self) -> dict[str, Any]:
        def row(g: GroupTurnout) -> dict[str, Any]:
            return {"group": g.index, "name": g.name, "issued": g.issued, "used": g.used, "used_phone": g.phone,
                    "used_paper": g.paper, "invalid": g.invalid, "revoked": g.revoked, "remaining": g.remaining}

        return {"state": self.state, "state_label": _label(self.state),
                "groups": [row(g) for g in self.groups], "total": row(self.total)}


def turnout(box: BallotBox) -> Turnout:
    """Issued / used (phone, paper) / invalid / remaining per voter group: one aggregate query over tokens."""
    groups = [GroupTurnout(i, str(g["name"]), str(g.get("weight", "")))
              for i, g in enumerate(box.campaign.scheme.get("voter_groups", []))]
    t = Turnout(state=box.state, groups=groups)
    rows = BallotToken.objects.filter(box_id=box.pk).values_list("group", "status", "channel").annotate(
        n=Count("id")).order_by()
    for g, status, channel, n in rows:
        while g >= len(groups):  # a group the scheme no longer names (cannot happen once frozen; be safe)
            groups.append(GroupTurnout(len(groups), f"第{len(groups) + 1}类", ""))
        for row in (groups[g], t.total):
            if status == TokenStatus.REVOKED:
                row.revoked += n
                continue
            row.issued += n
            if status == TokenStatus.USED:
                if channel == TokenChannel.PHONE:
                    row.phone += n
                else:
                    row.paper += n
            elif status == TokenStatus.INVALID:
                row.invalid += n
    return t


@dataclass(frozen=True)
class BoxCounts:
    issued: int  # tokens not revoked
    ballots: int  # sealed and unsealed
    invalid: int
    paper_pending: int  # sheets keyed by one teller or mismatched, not yet counted
    unsealed: int = 0  # ballots still in the urn (paper keyed after 封箱, until seal_paper)

    @property
    def too_many(self) -> bool:
        return self.ballots + self.invalid > self.issued


def box_counts(box: BallotBox) -> BoxCounts:
    unsealed = EncryptedBallot.objects.filter(box_id=box.pk).count()
    return BoxCounts(
        issued=BallotToken.objects.filter(box_id=box.pk).exclude(status=TokenStatus.REVOKED).count(),
        ballots=Ballot.objects.filter(box_id=box.pk).count() + unsealed,
        invalid=InvalidSheet.objects.filter(box_id=box.pk).count(),
        paper_pending=PaperEntry.objects.filter(box_id=box.pk).values("token_id").distinct().count(),
        unsealed=unsealed,
    )


def box_flags(box: BallotBox, counts: BoxCounts | None = None) -> list[str]:
    """What blocks publication, in Chinese; empty when the box may be published.

    The ballot-box rule (domain.md): tokens issued ≥ ballots received (spoiled sheets count as received).
    Paper sheets still waiting for their second keying would be lost by publishing, so they block too."""
    c = counts or box_counts(box)
    flags = []
    if c.too_many:
        flags.append(f"{FLAG_TOO_MANY}：选票 {c.ballots} 张 + 废票 {c.invalid} 张 > 发出 {c.issued} 个")
    if c.paper_pending:
        flags.append(f"{FLAG_PAPER_PENDING}：{c.paper_pending} 张")
    if c.unsealed and box.state != BoxState.OPEN:  # while voting, every ballot waits in the urn
        flags.append(f"{FLAG_UNSEALED}（{c.unsealed} 张）")
    return flags


# ---------------------------------------------------------------- state moves


def open_box(actor: User, box: BallotBox) -> BallotBox:
    _check_writer(actor)
    with transaction.atomic():
        locked = _lock(box)
        _require_state(locked, (BoxState.SETUP,), "开始投票")
        if locked.campaign.state not in CAMPAIGN_STATES:
            raise ValidationError(f"考核方案处于“{locked.campaign.get_state_display()}”状态，不能开始投票")
        if not locked.lines.exists():
            raise ValidationError("测评票上还没有述职人")
        locked.state, locked.opened_at = BoxState.OPEN, timezone.now()
        locked.save(update_fields=["state", "opened_at"])
        issued = locked.tokens.exclude(status=TokenStatus.REVOKED).count()
        record(actor, "ballot.open", locked, f"开始民主测评投票（已发放测评码 {issued} 个）", {"issued": issued})
        _refresh(box, locked)
    return box


def close_box(actor: User, box: BallotBox) -> BallotBox:
    _check_writer(actor)
    with transaction.atomic():
        locked = _lock(box)
        _require_state(locked, (BoxState.OPEN,), "封箱")
        locked.state, locked.closed_at = BoxState.CLOSED, timezone.now()
        locked.save(update_fields=["state", "closed_at"])
        t = turnout(locked).as_dict()["total"]
        record(actor, "ballot.close", locked,
               f"民主测评封箱：发放 {t['issued']}，手机 {t['used_phone']}，纸质已录入 {t['used_paper']}",
               {"turnout": t})
        _seal(actor, locked, "封箱")
        _refresh(box, locked)
    return box


def _seal(actor: User, locked: BallotBox, when: str) -> urn.Seal:
    """Seal the urn of a box locked FOR UPDATE, in the caller's transaction; one aggregate audit event."""
    s = urn.seal(locked)
    record(actor, "ballot.seal", locked,
           f"{when}：选票解密混洗后存入 {s.ballots} 张（意见建议 {s.comments} 条），票箱密钥已销毁；"
           f"已封存选票共 {s.total} 张，摘要 {s.digest[:16]}…",
           s.as_data())
    return s


def seal_paper(actor: User, box: BallotBox) -> urn.Seal:
    """After 封箱: seal the paper ballots keyed since (tellers, when they have finished; or an organiser)."""
    check_roles(actor, *SEALERS)
    with transaction.atomic():
        locked = _lock(box)
        _require_state(locked, (BoxState.CLOSED,), "封存纸质票")
        if not EncryptedBallot.objects.filter(box_id=locked.pk).exists():
            raise ValidationError("没有待封存的纸质票")
        s = _seal(actor, locked, "封存纸质票")
        _refresh(box, locked)
    return s


def reopen_box(actor: User, box: BallotBox, reason: str) -> BallotBox:
    _check_writer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("重新开启投票须填写理由")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"理由不能超过 {MAX_REASON} 字")
    with transaction.atomic():
        locked = _lock(box)
        _require_state(locked, (BoxState.CLOSED,), "重新开启投票")
        locked.state, locked.closed_at = BoxState.OPEN, None
        locked.save(update_fields=["state", "closed_at"])
        record(actor, "ballot.reopen", locked, f"重新开启民主测评投票，理由：{reason}", {"reason": reason})
        _refresh(box, locked)
    return box


def publish_box(actor: User, box: BallotBox) -> BallotBox:
    """Closed → published: the tally becomes final. Refused while `box_flags` reports anything."""
    _check_writer(actor)
    with transaction.atomic():
        locked = _lock(box)
        _require_state(locked, (BoxState.CLOSED,), "公布测评结果")
        counts = box_counts(locked)
        flags = box_flags(locked, counts)
        if flags:
            raise ValidationError(["票箱核对未通过，不能公布：", *flags])
        locked.state = BoxState.PUBLISHED
        locked.save(update_fields=["state"])
        record(actor, "ballot.publish", locked, f"公布民主测评结果（选票 {counts.ballots} 张，废票 {counts.invalid} 张）",
               {"issued": counts.issued, "ballots": counts.ballots, "invalid": counts.invalid})
        _refresh(box, locked)
    return box


# ---------------------------------------------------------------- printing

PRINT_KINDS = {"sheets": "测评票", "slips": "二维码条"}


def tokens_for_print(actor: User, box: BallotBox, kind: str = "sheets", group: int | None = None,
                     unused_only: bool = False) -> list[BallotToken]:
    """The tokens to print (never revoked ones), in serial order. Printing hands out voting credentials,
    so who printed what is audited (counts only)."""
    _check_writer(actor)
    if kind not in PRINT_KINDS:
        raise ValidationError("打印类型只能是测评票或二维码条")
    names = group_names(box.campaign)
    if group is not None and not 0 <= group < len(names):
        raise ValidationError(f"测评人员类别序号 {group} 不存在")
    if box.state == BoxState.PUBLISHED:
        raise ValidationError("测评结果已公布，不能再打印测评码")
    qs = BallotToken.objects.filter(box_id=box.pk).exclude(status=TokenStatus.REVOKED)
    if group is not None:
        qs = qs.filter(group=group)
    if unused_only:
        qs = qs.filter(status=TokenStatus.ISSUED)
    tokens = list(qs.order_by("serial"))
    what = f"{names[group] if group is not None else '全部类别'}{'（仅未使用）' if unused_only else ''}"
    with transaction.atomic():
        record(actor, "ballot.tokens_print", box, f"打印{PRINT_KINDS[kind]}：{what}，{len(tokens)} 份",
               {"kind": kind, "group": group, "unused_only": unused_only, "count": len(tokens)})
    return tokens
