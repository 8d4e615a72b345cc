"""The audit log browser (observers, admins, organisers)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shuping.accounts.access import AUDIT_READERS, roles_required
from shuping.audit.models import AuditEvent


@roles_required(*AUDIT_READERS)
def log(request: HttpRequest) -> HttpResponse:
    return render(request, "audit/log.html", {"events": AuditEvent.objects.order_by("-seq")[:100]})
