from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PollsConfig(AppConfig):
    name = "activecitizen.polls"
    label = "polls"
    verbose_name = _("Votes")

    def ready(self) -> None:
        from activecitizen.accounts.roles import Role, grant
        from activecitizen.core.demo import register_demo_step
        from activecitizen.core.home import register_open_now
        from activecitizen.polls.demo import seed_polls
        from activecitizen.polls.editing import register_role_permissions
        from activecitizen.polls.home import open_polls_for_home

        register_open_now(open_polls_for_home)
        register_role_permissions()
        grant(Role.SERVICE_CENTRE_OFFICER, "polls.assist_voting", "accounts.view_user")
        register_demo_step("polls", seed_polls, order=20)
        import activecitizen.polls.export  # noqa: F401 - registers the poll export builders
        from activecitizen.notifications import kinds
        from activecitizen.polls import notices

        kinds.register("poll_new", notices.poll_new, group="polls")
        kinds.register("poll_results", notices.poll_results, group="polls")
