from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "activecitizen.rewards"
    label = "rewards"
    verbose_name = _("Points and rewards")

    def ready(self) -> None:
        from activecitizen.notifications import kinds
        from activecitizen.rewards import notices

        kinds.register("order_ready", notices.order_ready)
        kinds.register("order_expiring", notices.order_expiring)
