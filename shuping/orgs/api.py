"""JSON API for units and people."""

from ninja import Router

router = Router(tags=["组织架构"])
