"""JSON API of reports."""

from ninja import Router

router = Router()
