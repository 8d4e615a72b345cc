"""JSON API of meetings."""

from ninja import Router

router = Router()
