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
        # Django creates permissions after migrate; the roles get theirs right after that.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="accounts.sync_roles")
