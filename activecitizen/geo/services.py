"""Writes to the city's structure: loading okrugs and districts from files."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from django.db import transaction

from activecitizen.geo.loading import LoadReport, read_city, write_city
from activecitizen.geo.models import District, Okrug
from activecitizen.geo.selectors import forget_boundaries

__all__ = ["LoadReport", "load_city"]


def load_city(
    *,
    path: Path,
    okrugs_path: Path | None = None,
    file_format: Literal["csv", "geojson"] | None = None,
    names_en_path: Path | None = None,
) -> LoadReport:
    """Create or update okrugs and districts from files, matching them by code.

    `path` is a CSV of districts with their okrugs, or a GeoJSON FeatureCollection of districts
    whose properties name the okrug; `okrugs_path` optionally adds a GeoJSON of okrugs with their
    boundaries; `names_en_path` a CSV (okato, name_en) of English names. The format follows the
    file's suffix unless `file_format` says it. Formats and columns: `activecitizen.geo.loading`.

    Everything is read and checked before anything is written, and written in one transaction:
    bad input raises `InvalidInput` naming the file, line or feature and writes nothing. Loading
    the same files again changes nothing.
    """
    city = read_city(
        path=path, okrugs_path=okrugs_path, file_format=file_format, names_en_path=names_en_path
    )
    with transaction.atomic():
        report = write_city(city, okrug_model=Okrug, district_model=District)
        if report.districts_created or report.districts_updated:
            transaction.on_commit(forget_boundaries)
    return report
