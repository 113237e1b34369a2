from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DecisionsConfig(AppConfig):
    name = "activecitizen.decisions"
    label = "decisions"
    verbose_name = _("Decisions")

    def ready(self) -> None:
        from activecitizen.core.demo import register_demo_step
        from activecitizen.decisions import notices
        from activecitizen.decisions.demo import seed_decisions
        from activecitizen.decisions.panels import what_the_city_did
        from activecitizen.notifications import kinds
        from activecitizen.polls.panels import register_results_panel

        kinds.register("decision_status", notices.decision_status)
        kinds.register("decision_nearby", notices.decision_nearby, group="nearby")
        register_results_panel(what_the_city_did)
        register_role_permissions()
        # After the polls (20) and the other sections: decisions name demo polls.
        register_demo_step("decisions", seed_decisions, order=60)


def register_role_permissions() -> None:
    """Editors keep decisions, their steps and updates (status changes go through the service,
    which checks the role again); auditors look at them."""
    from activecitizen.accounts.roles import Role, grant

    models = ("decision", "decisionstep", "decisionupdate")
    grant(
        Role.EDITOR,
        *(f"decisions.{a}_{m}" for m in models for a in ("view", "add", "change", "delete")),
    )
    grant(Role.AUDITOR, *(f"decisions.view_{m}" for m in models))
