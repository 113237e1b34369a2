"""Pages about the city's structure."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from activecitizen.geo.selectors import okrugs_with_districts


def district_list(request: HttpRequest) -> HttpResponse:
    return render(request, "geo/district_list.html", {"okrugs": okrugs_with_districts()})
