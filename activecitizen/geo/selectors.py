"""Reads of the city's structure that pages, the API and other apps share."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from activecitizen.geo.models import District, Okrug


def okrugs_with_districts() -> QuerySet[Okrug]:
    return Okrug.objects.order_by("name_ru").prefetch_related(
        Prefetch("districts", queryset=District.objects.order_by("name_ru"))
    )
