"""JSON API of 考核结果."""

from ninja import Router

router = Router(tags=["考核结果"])
