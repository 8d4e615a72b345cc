"""Campaign pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shuping.accounts import access


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(request, "campaigns/list.html", {"campaigns": access.visible_campaigns(user)})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    return render(request, "campaigns/detail.html", {"campaign": access.get_campaign(user, pk)})
