"""Writing to and verifying the audit log. Every action that changes state calls `record`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from shuping.audit.chain import ChainProblem, event_hash, verify_chain
from shuping.audit.models import AuditEvent, AuditHead


def actor_name(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "username", None) or "anonymous"


def record(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event, in the caller's transaction (so it commits or rolls back with it)."""
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor=actor_name(actor),
            action=action,
            object_type=target._meta.label_lower if target is not None else "",
            object_id=str(target.pk) if target is not None else "",
            summary=summary,
            data=data or {},
            prev_hash=head.hash,
        )
        # Round-trip data through JSON semantics so the hash matches what is read back.
        event.hash = event_hash(head.hash, event.content())
        event.save()
        AuditHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)
    return event


@dataclass
class VerifyResult:
    count: int
    head_hash: str
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify() -> VerifyResult:
    last_seq, last_hash, count = 0, "", 0
    rows = []
    for ev in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        rows.append((ev.seq, ev.content(), ev.prev_hash, ev.hash))
        last_seq, last_hash, count = ev.seq, ev.hash, count + 1
    problems = verify_chain(rows)
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != last_seq or (head.seq and head.hash != last_hash)):
        problems.append(ChainProblem(head.seq, f"链尾不符：记录的最后序号为 {head.seq}，实际为 {last_seq}（末尾记录被删除）"))
    return VerifyResult(count=count, head_hash=last_hash, problems=problems)
