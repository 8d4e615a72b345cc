"""JSON API of judging (see scoring/views_judging.py for the pages)."""

from ninja import Router

router = Router(tags=["现场评分"])
