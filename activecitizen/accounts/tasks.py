"""Periodic housekeeping of people's data."""

from celery import shared_task

from activecitizen.accounts import services


@shared_task
def purge_sign_in_codes() -> int:
    return services.purge_sign_in_codes()
