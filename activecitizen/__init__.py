"""Active Citizen: a city asks its residents and acts on their answers.

The package imports nothing on its own, so `python -m activecitizen.verify` runs with the
standard library and `cryptography` alone (no Django, no Celery). The Celery application is
loaded by the core app when Django starts, and on first use of `activecitizen.celery_app`.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "celery_app":
        from activecitizen.celery import app

        return app
    raise AttributeError(name)
