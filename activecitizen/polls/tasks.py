"""Periodic work of the Votes section (Celery beat, or `manage.py run_scheduler`)."""

from celery import shared_task

from activecitizen.polls import services


@shared_task
def tally_ballots() -> int:
    return services.tally()


@shared_task
def open_and_close_polls() -> tuple[int, int]:
    return services.open_and_close_polls()
