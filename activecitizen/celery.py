"""The Celery application: broker from CELERY_BROKER_URL, or every task inline without one."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activecitizen.settings")

app = Celery("activecitizen")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
