"""Periodic work of public discussions (the beat schedule is in settings)."""

from __future__ import annotations

from celery import shared_task

from activecitizen.discussions import services


@shared_task
def tell_neighbours_of_new_projects() -> int:
    return services.tell_neighbours_of_new_projects()
