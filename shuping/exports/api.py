"""JSON API of exports."""

from ninja import Router

router = Router()
