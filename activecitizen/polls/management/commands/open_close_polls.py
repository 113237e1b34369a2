"""`manage.py open_close_polls`: open and close polls whose time has come (run it from cron).

The same work as the Celery beat task `polls.open_and_close_polls`, for deployments without
beat; running both, or running it twice, does no harm.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activecitizen.polls import services
from activecitizen.polls.models import Poll


class Command(BaseCommand):
    help = "Open scheduled polls whose opening time has come and close open polls whose time is up."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        # Read which polls are due first, only to name them afterwards: the service decides.
        due = list(
            Poll.objects.filter(
                Q(status=Poll.Status.SCHEDULED, opens_at__lte=now)
                | Q(status=Poll.Status.OPEN, closes_at__lte=now)
            ).values_list("pk", "status")
        )
        opened, closed = services.open_and_close_polls(now=now)
        if options["verbosity"] == 0:
            return
        after = {
            pk: (status, title)
            for pk, status, title in Poll.objects.filter(
                pk__in=[pk for pk, _status in due]
            ).values_list("pk", "status", "title")
        }
        for pk, before in sorted(due):
            status, title = after.get(pk, (before, ""))
            if status != before:
                what = _("opened") if status == Poll.Status.OPEN else _("closed")
                self.stdout.write(f"  #{pk} «{title}»: {what}")
        self.stdout.write(
            ngettext("%(n)d poll opened", "%(n)d polls opened", opened) % {"n": opened}
            + ", "
            + ngettext("%(n)d poll closed.", "%(n)d polls closed.", closed) % {"n": closed}
        )
