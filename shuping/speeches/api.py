"""JSON API of speeches."""

from ninja import Router

from shuping.speeches.api_drafts import router as drafts_router
from shuping.speeches.api_similarity import router as similarity_router

router = Router()
router.add_router("/", similarity_router)
router.add_router("/", drafts_router)
