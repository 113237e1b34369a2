from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsConfig(AppConfig):
    name = "activecitizen.news"
    label = "news"
    verbose_name = _("News")

    def ready(self) -> None:
        from activecitizen.core.demo import register_demo_step
        from activecitizen.news.demo import seed_news

        register_role_permissions()
        # After the sections whose news it tells (novelties, pulse …); it needs only districts.
        register_demo_step("news", seed_news, order=65)


def register_role_permissions() -> None:
    """Editors write the news and the tags; auditors read everything, subscriptions included.

    Subscriptions are written only by the people subscribing (through the services): nobody
    adds, changes or deletes one in the admin, and editors do not see the addresses at all.
    """
    from activecitizen.accounts.roles import Role, grant

    grant(
        Role.EDITOR,
        *(f"news.{a}_{m}" for m in ("newsitem", "tag") for a in ("view", "add", "change")),
        "news.delete_tag",
    )
    grant(Role.AUDITOR, "news.view_newsitem", "news.view_tag", "news.view_subscription")
