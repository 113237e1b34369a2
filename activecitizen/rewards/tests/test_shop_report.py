"""A partner's report as CSV: what became of each reward's orders, for its managers and for
city staff allowed to see every partner's figures; safe to open in Excel."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone, translation

from activecitizen.rewards import services
from activecitizen.rewards.models import Partner, PartnerMember
from activecitizen.rewards.tests import shop_staff_factories as make

pytestmark = pytest.mark.django_db

HEADER = [
    "reward id",
    "title",
    "ordered",
    "issued",
    "open",
    "cancelled",
    "expired",
    "refunded",
    "points spent",
]


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def theatre():
    """A theatre whose two rewards were ordered: issued, cancelled, expired and still open."""
    partner = make.partner("Театр «Проба»")
    desk = make.point(partner)
    seagull = make.reward(partner, "Билет на «Чайку»", price=300, stock={desk: 10})
    tricky = make.reward(partner, '=HYPERLINK("http://evil")', price=50, stock={desk: 10})
    cashier = make.member(partner, PartnerMember.Role.CASHIER)
    now = timezone.now()
    people = [make.person() for _ in range(4)]
    for person in people:
        make.fund(person, 1000)

    def order(person, reward, at):
        return services.place_order(
            user=person, reward_id=reward.pk, issue_point_id=desk.pk, now=at
        ).order

    issued = order(people[0], seagull, now - timedelta(days=1))
    services.issue_voucher(code=issued.voucher_code, by=cashier, now=now)
    cancelled = order(people[1], seagull, now - timedelta(days=1))
    services.cancel_order(order_id=cancelled.pk, by=people[1])
    expired = order(people[2], seagull, now - timedelta(days=40))
    services.expire_order(order_id=expired.pk, now=now)
    order(people[3], seagull, now - timedelta(hours=1))
    order(people[3], tricky, now - timedelta(hours=1))
    return {"partner": partner, "seagull": seagull, "tricky": tricky, "cashier": cashier}


def report(client, partner: Partner, **params):
    return client.get(reverse("rewards:partner_report", args=[partner.pk]), params)


def rows_of(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads the file as UTF-8 only with it
    return list(csv.reader(io.StringIO(body[1:])))


def test_a_manager_downloads_what_became_of_each_rewards_orders(client, theatre):
    client.force_login(make.member(theatre["partner"]))
    response = report(client, theatre["partner"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="partner-{theatre["partner"].pk}-orders.csv"'
    )
    header, *rows = rows_of(response)
    assert header == HEADER
    by_title = {row[1]: row for row in rows}
    seagull = by_title["Билет на «Чайку»"]
    # 4 ordered: 1 issued, 1 open, 1 cancelled, 1 expired; the two refunded cost nothing.
    assert seagull[:2] == [str(theatre["seagull"].pk), "Билет на «Чайку»"]
    assert seagull[2:] == ["4", "1", "1", "1", "1", "2", "600"]


def test_a_formula_in_a_title_stays_text(client, theatre):
    client.force_login(make.member(theatre["partner"]))
    _header, *rows = rows_of(report(client, theatre["partner"]))
    titles = [row[1] for row in rows]
    assert '\'=HYPERLINK("http://evil")' in titles
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_period_is_whole_days_and_a_bad_date_is_explained(client, theatre):
    client.force_login(make.superuser())
    today = timezone.localdate()
    response = report(client, theatre["partner"], since=str(today - timedelta(days=2)))
    _header, *rows = rows_of(response)
    seagull = next(row for row in rows if row[1] == "Билет на «Чайку»")
    assert seagull[2:8] == ["3", "1", "1", "1", "0", "1"]  # the expired order is older
    assert f"-{today - timedelta(days=2)}--.csv" in response["Content-Disposition"]
    old = report(client, theatre["partner"], until=str(today - timedelta(days=30)))
    assert [row[2] for row in rows_of(old)[1:]] == ["1"]

    bad = report(client, theatre["partner"], since="01.03.2026")
    assert bad.status_code == 400
    assert "YYYY-MM-DD" in bad.content.decode() and "01.03.2026" in bad.content.decode()
    backwards = report(client, theatre["partner"], since="2026-03-02", until="2026-03-01")
    assert backwards.status_code == 400
    assert "ends before it starts" in backwards.content.decode()


def test_who_may_download_it(client, theatre):
    partner = theatre["partner"]
    assert report(client, partner).status_code == 302  # to sign in
    assert (
        "/login" in report(client, partner)["Location"]
        or "sign" in report(client, partner)["Location"]
    )

    client.force_login(theatre["cashier"])
    assert report(client, partner).status_code == 403
    other = make.partner("Музей «Чужой»")
    client.force_login(make.member(other))
    assert report(client, partner).status_code == 403
    client.force_login(make.person(is_staff=True))
    assert report(client, partner).status_code == 403

    allowed = make.person(is_staff=True)
    allowed.user_permissions.add(Permission.objects.get(codename="view_partner_report"))
    client.force_login(allowed)
    assert report(client, partner).status_code == 200
    client.force_login(make.editor())
    assert report(client, partner).status_code == 200
    assert client.get(reverse("rewards:partner_report", args=[99999])).status_code == 404


def test_the_report_is_offered_on_the_partners_admin_page(client, theatre):
    partner = theatre["partner"]
    client.force_login(make.member(partner))
    page = client.get(reverse("admin:rewards_partner_change", args=[partner.pk])).content.decode()
    csv_link = reverse("rewards:partner_report", args=[partner.pk])
    admin_report = reverse("admin:rewards_partner_report", args=[partner.pk])
    assert csv_link in page and admin_report in page

    shown = client.get(admin_report, {"since": "2000-01-01"})
    assert shown.status_code == 200
    assert [row.title for row in shown.context["rows"]] == [
        '=HYPERLINK("http://evil")',
        "Билет на «Чайку»",
    ]
    assert shown.context["totals"]["ordered"] == 5
    assert f"{csv_link}?since=2000-01-01" == shown.context["download"]
    assert (
        client.get(admin_report, {"since": "2026-03-02", "until": "2026-03-01"}).status_code == 400
    )

    # The list's action leads to the same page, for one partner at a time.
    client.force_login(make.superuser())
    action = client.post(
        reverse("admin:rewards_partner_changelist"),
        {"action": "open_report", "_selected_action": [partner.pk]},
    )
    assert action.status_code == 302 and action["Location"] == admin_report


def test_a_charitys_points_received_are_shown_and_never_edited(client):
    charity = make.partner("Фонд «Проба»", kind=Partner.Kind.CHARITY)
    gift = make.reward(charity, "Помочь фонду", category="charity", delivery="donation", price=70)
    donor = make.person()
    make.fund(donor, 100)
    services.place_order(user=donor, reward_id=gift.pk)
    client.force_login(make.superuser())
    change = reverse("admin:rewards_partner_change", args=[charity.pk])
    page = client.get(change)
    assert "points_received" not in page.context["adminform"].form.fields
    assert "70" in page.content.decode()
    client.post(
        change,
        {
            "name": charity.name,
            "kind": "charity",
            "points_received": 1_000_000,
            "members-TOTAL_FORMS": 0,
            "members-INITIAL_FORMS": 0,
        },
    )
    charity.refresh_from_db()
    assert charity.points_received == 70
