from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussionsConfig(AppConfig):
    name = "activecitizen.discussions"
    label = "discussions"
    verbose_name = _("Public discussions")

    def ready(self) -> None:
        from activecitizen.core.demo import register_demo_step
        from activecitizen.discussions import notices
        from activecitizen.discussions.demo import seed_discussions
        from activecitizen.notifications import kinds

        register_role_permissions()
        # After the house (40): the demo people and the moderator exist by then.
        register_demo_step("discussions", seed_discussions, order=45)
        kinds.register("proposal_published", notices.proposal_published)
        kinds.register("proposal_rejected", notices.proposal_rejected)
        kinds.register("project_nearby", notices.project_nearby, group="nearby")


def register_role_permissions() -> None:
    """What moderators and editors may do with discussions in the admin (the groups get it
    after every migrate).

    Moderators work the queue of proposals: they verify participants and publish or reject,
    always through the services (the admin's actions); they only look at the projects.
    Editors prepare the projects, their documents and the conclusion, and look at proposals.
    """
    from activecitizen.accounts.roles import Role, grant

    grant(
        Role.MODERATOR,
        "discussions.view_project",
        "discussions.view_projectdocument",
        "discussions.view_proposal",
        "discussions.change_proposal",
        "discussions.moderate_proposal",
    )
    grant(
        Role.EDITOR,
        *(
            f"discussions.{action}_{model}"
            for model in ("project", "projectdocument")
            for action in ("view", "add", "change", "delete")
        ),
        "discussions.view_proposal",
    )
