"""JSON API of rectification."""

from ninja import Router

router = Router()
