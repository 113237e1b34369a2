"""Open data for outside clients: the catalogue of datasets and each dataset, page by page.
Public; thin: `opendata` reads."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema

from activecitizen.core.api import COMMON_ERRORS, Error
from activecitizen.core.errors import NotFound
from activecitizen.insights import opendata

router = Router(tags=["open data"])

MAX_OFFSET = 1_000_000


class ColumnOut(Schema):
    name: str
    type: str
    meaning: str
    unit: str


class DatasetOut(Schema):
    name: str
    title: str
    description: str
    columns: list[ColumnOut]
    csv_url: str
    json_url: str
    api_url: str


class Catalogue(Schema):
    count: int
    items: list[DatasetOut]


class DatasetPage(Schema):
    dataset: DatasetOut
    count: int
    items: list[dict[str, Any]]


@router.get(
    "/open-data",
    auth=None,
    response={200: Catalogue, **COMMON_ERRORS},
    summary="The catalogue of open datasets with their data dictionaries",
)
def catalogue(request: HttpRequest):
    items = [d.as_dict() for d in opendata.DATASETS.values()]
    return {"count": len(items), "items": items}


@router.get(
    "/open-data/{dataset}",
    auth=None,
    response={200: DatasetPage, 404: Error, **COMMON_ERRORS},
    summary="One open dataset, page by page (rows keyed by the dictionary's column names)",
)
def dataset_page(
    request: HttpRequest,
    dataset: str = Path(..., max_length=40, description="The dataset's name, as in the catalogue."),
    format: Literal["json"] = Query("json", description="Only json here; CSV is on the site."),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    found = opendata.DATASETS.get(dataset)
    if found is None:
        raise NotFound(_("There is no such dataset."), code="dataset_not_found")
    count, items = opendata.page(found, limit=limit, offset=offset)
    return {"dataset": found.as_dict(), "count": count, "items": items}
