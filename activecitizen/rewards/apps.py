from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "activecitizen.rewards"
    label = "rewards"
    verbose_name = _("Points and rewards")

    def ready(self) -> None:
        from activecitizen.core.demo import register_demo_step
        from activecitizen.notifications import kinds
        from activecitizen.rewards import notices
        from activecitizen.rewards.demo import seed_shop

        kinds.register("order_ready", notices.order_ready)
        kinds.register("order_expiring", notices.order_expiring)
        kinds.register("order_cancelled", notices.order_cancelled)
        register_role_permissions()
        # After the polls' step (order 20): residents have points from demo ballots by then,
        # and the campaign names demo polls.
        register_demo_step("shop", seed_shop, order=30)


def _crud(*models: str, actions: tuple[str, ...] = ("view", "add", "change", "delete")) -> list:
    return [f"rewards.{action}_{model}" for model in models for action in actions]


def register_role_permissions() -> None:
    """What each role may do with the shop in the admin; the groups get it after every migrate.

    Editors keep the whole catalogue and see every partner's orders; auditors look at all of
    it; a partner's managers keep their own partners' issue points, rewards, stock and promo
    codes (the admin limits them to those partners). Nobody may edit orders, their events or
    donations: only the shop's services write them.
    """
    from activecitizen.accounts.roles import Role, grant

    looked_at = ("order", "orderevent", "donation")
    grant(
        Role.EDITOR,
        *_crud("partner", "partnermember", "issuepoint", "reward", "stock", "campaign"),
        *_crud("promocode", actions=("view", "add", "delete")),
        *_crud(*looked_at, actions=("view",)),
        "rewards.view_partner_report",
    )
    grant(
        Role.AUDITOR,
        *_crud(
            "partner",
            "partnermember",
            "issuepoint",
            "reward",
            "stock",
            "campaign",
            "promocode",
            *looked_at,
            actions=("view",),
        ),
        "rewards.view_partner_report",
    )
    grant(
        Role.PARTNER_MANAGER,
        "rewards.view_partner",
        *_crud("issuepoint", "reward", actions=("view", "add", "change")),
        *_crud("stock"),
        # Not add_promocode: the upload service lets any staff holding it fill any reward's pool;
        # a manager uploads as the partner's manager instead.
        *_crud("promocode", actions=("view", "delete")),
        *_crud(*looked_at, actions=("view",)),
    )
