from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs) -> None:
    from activecitizen.accounts.services import sync_role_permissions

    sync_role_permissions()


class AccountsConfig(AppConfig):
    name = "activecitizen.accounts"
    label = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        # Django creates each app's permissions after migrate; the roles get them right after,
        # app by app (so a section's permissions exist by the time its signal arrives).
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.sync_roles")
