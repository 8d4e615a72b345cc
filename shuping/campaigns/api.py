"""JSON API for campaigns and participants."""

from ninja import Router

router = Router(tags=["考核方案"])
