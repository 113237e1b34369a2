"""A partner's report as CSV: orders of each of its rewards in a period and what became of them.

For the partner's managers and for city staff allowed to download partner reports. Opened in
Excel as often as read by programs: UTF-8 with a byte order mark (so Excel reads Cyrillic
right), and a cell that a spreadsheet would take for a formula is written as text.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.rewards import selectors, services
from activecitizen.rewards.models import Partner, PartnerMember

REPORT_PERMISSION = "rewards.view_partner_report"
# What spreadsheets read as the start of a formula (OWASP "CSV injection"), tab and CR included.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def may_download_partner_report(user, partner_id: int) -> bool:
    """The partner's managers, and staff with "Can download partner reports"; not cashiers."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff and user.has_perm(REPORT_PERMISSION):
        return True
    return services.partner_role(user, partner_id) == PartnerMember.Role.MANAGER


def report_bounds(since: date | None, until: date | None) -> dict[str, datetime | None]:
    """Whole days in the city's time zone: `until` is included, so the bound is the next day."""
    zone = timezone.get_current_timezone()
    return {
        "since": datetime.combine(since, time.min, tzinfo=zone) if since else None,
        "until": (
            datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None
        ),
    }


def safe_cell(value: object) -> object:
    """A text that a spreadsheet would run as a formula, prefixed with ' to stay text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class BadPeriod(ValueError):
    pass


def _day(request: HttpRequest, name: str) -> date | None:
    text = request.GET.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(
            _('"%(name)s" must be a date written as YYYY-MM-DD, e.g. 2026-03-01; got "%(text)s".')
            % {"name": name, "text": text[:40]}
        ) from None


@login_required
def partner_report_csv(request: HttpRequest, partner_id: int) -> HttpResponse:
    """`?since=YYYY-MM-DD&until=YYYY-MM-DD` (both optional, both days included)."""
    partner = get_object_or_404(Partner, pk=partner_id)
    if not may_download_partner_report(request.user, partner.pk):
        raise PermissionDenied
    try:
        since, until = _day(request, "since"), _day(request, "until")
        if since and until and since > until:
            raise BadPeriod(_("The period ends before it starts: until is earlier than since."))
    except BadPeriod as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")

    rows = selectors.partner_report(partner.pk, **report_bounds(since, until))
    name = f"partner-{partner.pk}-orders"
    if since or until:
        name += f"-{since or ''}--{until or ''}"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.write("\ufeff")  # the byte order mark: Excel then reads the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("reward id"),
            _("title"),
            _("ordered"),
            _("issued"),
            _("open"),
            _("cancelled"),
            _("expired"),
            _("refunded"),
            _("points spent"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                safe_cell(cell)
                for cell in (
                    row.reward_id,
                    row.title,
                    row.ordered,
                    row.issued,
                    row.open,
                    row.cancelled,
                    row.expired,
                    row.refunded,
                    row.points_spent,
                )
            ]
        )
    return response
