"""WSGI entry point (gunicorn activecitizen.wsgi).

The app's ballots take a lane of their own in front of Django (polls/fast_ballots.py); every
other request, and every ballot the lane does not take, goes to Django as usual.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activecitizen.settings")
django_application = get_wsgi_application()

# Imported once Django is set up: the lane uses the models.
from activecitizen.polls.fast_ballots import with_fast_ballots  # noqa: E402

application = with_fast_ballots(django_application)
