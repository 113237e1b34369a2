"""The JSON API for the mobile app and outside clients: /api/v1/ (contract: docs/api.md)."""

from ninja import NinjaAPI

from activecitizen.accounts.api import router as accounts_router
from activecitizen.core.api import Utf8JSONRenderer, install_error_handlers
from activecitizen.discussions.api import router as discussions_router
from activecitizen.geo.api import router as geo_router
from activecitizen.house.api import router as house_router
from activecitizen.notifications.api import router as notifications_router
from activecitizen.polls.api import router as polls_router
from activecitizen.rewards.api import router as rewards_router
from activecitizen.rewards.api import shop as shop_router
from activecitizen.transparency.api import router as transparency_router

api = NinjaAPI(
    title="Active Citizen API",
    version="1",
    # For developers, so in English only.
    description=(
        "The city asks, residents answer. Errors are always "
        '{"code", "message", "field"}; lists are {"count", "items"} with ?limit=&offset=. '
        "Sign in with POST /auth/code then POST /auth/token and send "
        "`Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
    renderer=Utf8JSONRenderer(),
)
install_error_handlers(api)
api.add_router("", accounts_router)
api.add_router("", geo_router)
api.add_router("", notifications_router)
api.add_router("", rewards_router)
api.add_router("", shop_router)
api.add_router("", polls_router)
api.add_router("", transparency_router)
api.add_router("", house_router)
api.add_router("", "activecitizen.pulse.api.router")
api.add_router("", "activecitizen.decisions.api.router")
api.add_router("", discussions_router)
api.add_router("", "activecitizen.novelties.api.router")
api.add_router("", "activecitizen.news.api.router")
api.add_router("", "activecitizen.insights.api.router")
