from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PollsConfig(AppConfig):
    name = "activecitizen.polls"
    label = "polls"
    verbose_name = _("Votes")

    def ready(self) -> None:
        from activecitizen.accounts.roles import Role, grant
        from activecitizen.core.home import register_open_now
        from activecitizen.polls.home import open_polls_for_home

        register_open_now(open_polls_for_home)
        grant(Role.SERVICE_CENTRE_OFFICER, "polls.assist_voting", "accounts.view_user")
