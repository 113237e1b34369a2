"""Periodic work of the shop (Celery beat, or `manage.py run_scheduler`)."""

from celery import shared_task

from activecitizen.rewards import services


@shared_task
def expire_orders() -> int:
    return services.expire_orders()


@shared_task
def remind_expiring_orders() -> int:
    return services.remind_expiring_orders()
