from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "activecitizen.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        register_role_permissions()


def register_role_permissions() -> None:
    """Officials who work with the results (editors, auditors) see the dashboard."""
    from activecitizen.accounts.roles import Role, grant

    grant(Role.EDITOR, "insights.view_dashboard")
    grant(Role.AUDITOR, "insights.view_dashboard")
