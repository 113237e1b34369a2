"""Active Citizen: a city asks its residents and acts on their answers."""

from activecitizen.celery import app as celery_app

__all__ = ("celery_app",)
