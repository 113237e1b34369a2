from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoveltiesConfig(AppConfig):
    name = "activecitizen.novelties"
    label = "novelties"
    verbose_name = _("City novelties")

    def ready(self) -> None:
        from activecitizen.core.demo import register_demo_step
        from activecitizen.novelties.demo import seed_novelties

        register_role_permissions()
        # After the house (order 40): it needs only the demo residents, which exist by then.
        register_demo_step("novelties", seed_novelties, order=50)


def register_role_permissions() -> None:
    """What staff may do with novelties in the admin; the groups get it after every migrate.

    Editors publish novelties and their photos; editors, moderators and auditors read the
    ratings with their feedback. Nobody edits or deletes a rating: points were paid for it and
    the aggregates on the novelty count it.
    """
    from activecitizen.accounts.roles import Role, grant

    crud = ("view", "add", "change", "delete")
    grant(
        Role.EDITOR,
        *[f"novelties.{a}_{m}" for m in ("novelty", "noveltyphoto") for a in crud],
        "novelties.view_rating",
    )
    grant(Role.MODERATOR, "novelties.view_novelty", "novelties.view_rating")
    grant(
        Role.AUDITOR,
        "novelties.view_novelty",
        "novelties.view_noveltyphoto",
        "novelties.view_rating",
    )
