"""Periodic work of decisions (the beat schedule is in settings)."""

from __future__ import annotations

from celery import shared_task

from activecitizen.decisions import services


@shared_task
def tell_neighbours_of_new_decisions() -> int:
    return services.tell_neighbours_of_new_decisions()
