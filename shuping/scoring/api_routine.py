"""JSON API of routine (see scoring/views_routine.py for the pages)."""

from ninja import Router

router = Router(tags=["日常考核"])
