from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "activecitizen.rewards"
    label = "rewards"
    verbose_name = _("Points and rewards")
