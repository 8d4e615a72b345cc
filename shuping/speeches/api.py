"""JSON API of speeches."""

from ninja import Router

router = Router()
