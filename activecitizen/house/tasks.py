"""Periodic work of the Electronic House (Celery beat, or `manage.py run_scheduler`)."""

from celery import shared_task

from activecitizen.house import services


@shared_task
def advance_meetings() -> tuple[int, int]:
    """Open the meetings whose voting is due and close those whose voting is over."""
    return services.advance_meetings()


@shared_task
def seal_meeting_logs() -> int:
    """Seal the queued ballots of the meetings' transparency logs."""
    return services.seal_meeting_logs()
