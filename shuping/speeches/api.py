"""JSON API of speeches."""

from ninja import Router

from shuping.speeches.api_similarity import router as similarity_router

router = Router()
router.add_router("/", similarity_router)
