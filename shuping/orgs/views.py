"""Unit tree, units and people pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shuping.accounts import access
from shuping.accounts.access import WIDE_READERS, roles_required


@roles_required(*WIDE_READERS)
def tree(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/tree.html", {})


@login_required
def unit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    u = access.get_unit(user, pk)
    return render(request, "orgs/unit.html", {"unit": u})
