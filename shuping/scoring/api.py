"""JSON API of 现场评分 and 日常考核: one router per area, mounted under /api/."""

from ninja import Router

from shuping.scoring.api_judging import router as judging_router
from shuping.scoring.api_routine import router as routine_router

router = Router()
router.add_router("/", judging_router)
router.add_router("/", routine_router)
