"""WSGI entry point (gunicorn activecitizen.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activecitizen.settings")
application = get_wsgi_application()
