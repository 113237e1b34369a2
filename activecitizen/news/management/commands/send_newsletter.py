"""E-mail subscribers the news published in the last days (run it from cron or by hand)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from activecitizen.news import selectors, services


class Command(BaseCommand):
    help = "Send the newsletter: news published in the last --days days, to matching subscribers."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=7, help="How far back to look (default 7).")

    def handle(self, *args, days: int, **options) -> None:
        now = timezone.now()
        items = list(
            selectors.published().filter(published_at__gte=now - timedelta(days=max(1, days)))
        )
        sent = services.send_newsletter(items=items, now=now)
        self.stdout.write(f"{len(items)} items, {sent} e-mails sent")
