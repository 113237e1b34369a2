"""Values every page template needs: the sections for the header, the city's name."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from activecitizen.core.navigation import SECTIONS


def site(request: HttpRequest) -> dict:
    return {
        "sections": SECTIONS,
        "city_name": settings.CITY_NAME or _("Moscow"),
    }
