"""The roles people hold, kept as Django groups that a migration creates."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("citizen")
    MODERATOR = "moderator", _("moderator")
    EDITOR = "editor", _("editor")
    PARTNER_CASHIER = "partner_cashier", _("partner cashier")
    PARTNER_MANAGER = "partner_manager", _("partner manager")
    HOUSE_ADMINISTRATOR = "house_administrator", _("house administrator")
    AUDITOR = "auditor", _("auditor")
    SERVICE_CENTRE_OFFICER = "service_centre_officer", _("service centre officer")


# What each staff role may do in the admin, as "app_label.codename". Sections add theirs from
# their AppConfig.ready() with `grant`; the groups get them after every migrate.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.MODERATOR: {"accounts.view_user"},
    Role.EDITOR: {"accounts.view_user", "geo.view_okrug", "geo.view_district"},
    Role.AUDITOR: {
        "accounts.view_user",
        "accounts.view_interest",
        "geo.view_okrug",
        "geo.view_district",
    },
}


def grant(role: str, *permissions: str) -> None:
    ROLE_PERMISSIONS.setdefault(role, set()).update(permissions)
