"""JSON API of 民主测评: one router per area, mounted under /api/."""

from ninja import Router

from shuping.ballots.api_paper import router as paper_router
from shuping.ballots.api_results import router as results_router
from shuping.ballots.api_setup import router as setup_router
from shuping.ballots.api_vote import router as vote_router

router = Router()
router.add_router("/", setup_router)
router.add_router("/", vote_router)
router.add_router("/", paper_router)
router.add_router("/", results_router)
