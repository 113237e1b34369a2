"""Background work of notifications: delivery, fan-out batches, the daily digest."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from activecitizen.notifications import services


@shared_task
def deliver_notification(notification_id: int) -> list[str]:
    return services.deliver(notification_id=notification_id)


@shared_task(acks_late=True)
def fan_out_batch(job: dict[str, Any], after_id: int) -> int | None:
    # Queue the next batch before writing this one, so the next worker starts meanwhile.
    return services.fan_out_step(
        job, after_id=after_id, queue_next=lambda following: fan_out_batch.delay(job, following)
    )


@shared_task
def send_daily_digests() -> int:
    return services.send_daily_digests()
