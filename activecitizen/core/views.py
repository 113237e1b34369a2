"""Pages that belong to no section: home, health check, error pages, sections on their way."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from django.db.utils import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from activecitizen.core.api import error_response
from activecitizen.core.health import health_checks
from activecitizen.core.home import open_now
from activecitizen.core.navigation import SECTIONS, section

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/home.html",
        {"open_items": open_now(request), "section_cards": SECTIONS},
    )


def section_on_its_way(request: HttpRequest, slug: str) -> HttpResponse:
    found = section(slug)
    if found is None:
        raise Http404
    return render(request, "core/section_on_its_way.html", {"section": found})


@never_cache
def livez(request: HttpRequest) -> JsonResponse:
    """Liveness, for a process supervisor: the process answers and its database does (one
    `SELECT 1`). /healthz is readiness: it also runs every registered check."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("liveness: database down: %s", exc)
        return JsonResponse({"status": "down"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and `make run`: 200 when the database answers and every registered
    check (core.health) is ok, else 503 with status "down" or "degraded"."""
    checks: dict[str, str] = {}
    figures: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except DatabaseError as exc:
        logger.error("health check: database down: %s", exc)
        checks["database"] = "down"
    else:
        # The registered checks read the database: without it they would only fail again.
        for name, check in health_checks().items():
            try:
                found = check()
            except Exception:
                logger.exception("health check %s failed", name)
                checks[name] = "down"
                continue
            checks[name] = found.status
            figures.update(found.figures)
            if found.status != "ok":
                logger.warning("health check %s: %s %s", name, found.status, found.figures)
    if "down" in checks.values():
        status = "down"
    elif "degraded" in checks.values():
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "checks": checks, **figures}, status=200 if status == "ok" else 503
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(400, "bad_request", _("The request is malformed."))
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(403, "forbidden", _("You may not do this."))
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(404, "not_found", _("Not found."))
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return error_response(500, "server_error", _("Something went wrong on our side."))
    # A plain render: the context processors themselves may be what failed.
    try:
        return render(request, "500.html", status=500)
    except Exception:
        logger.exception("the 500 page itself failed")
        return HttpResponse(_("Server error"), status=500, content_type="text/plain")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return error_response(403, "csrf_failed", _("The form has expired. Reload the page."))
    return render(request, "403_csrf.html", status=403)
