"""JSON API of exports."""

from ninja import Router

from shuping.exports.api_analytics import router as analytics_router
from shuping.exports.api_jobs import router as jobs_router

router = Router()
router.add_router("/", analytics_router)
router.add_router("/", jobs_router)
