"""`manage.py generate_vapid_keys`: a new VAPID key pair for web push, printed as the
environment lines that set it (nothing is written anywhere: the key belongs with the site's
other secrets)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from activecitizen.notifications import vapid


class Command(BaseCommand):
    help = "Print a new VAPID key pair for web push as environment lines to set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--subject",
            default="",
            help="mailto: or https:// address push services may write to about this site's "
            "pushes (default: WEBPUSH_VAPID_SUBJECT).",
        )

    def handle(self, *args, **options) -> None:
        subject = options["subject"] or getattr(settings, "WEBPUSH_VAPID_SUBJECT", "")
        if subject and not subject.startswith(("mailto:", "https://")):
            raise CommandError(_("The subject is a mailto: or https:// address."))
        key = vapid.generate_private_key()
        lines = [
            "# " + _("Web push: add these lines to the site's environment; keep the key secret."),
            "# "
            + _(
                "Keep it for good, too: browsers subscribe to this key, and a new one "
                "orphans every subscription."
            ),
            "NOTIFICATIONS_PUSH_BACKEND=webpush",
            f"WEBPUSH_VAPID_PRIVATE_KEY={vapid.private_key_text(key)}",
        ]
        if subject:
            lines.append(f"WEBPUSH_VAPID_SUBJECT={subject}")
        else:
            lines.append(
                "# " + _("and WEBPUSH_VAPID_SUBJECT=mailto:<the operators' address> (or --subject)")
            )
        lines.append(
            "# "
            + _("The public key (browsers get it from GET /api/v1/push/key): %(key)s")
            % {"key": vapid.public_key_text(key)}
        )
        self.stdout.write("\n".join(lines))
