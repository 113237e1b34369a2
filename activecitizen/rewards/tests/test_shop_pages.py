"""The shop's pages: the catalogue, a reward and its order form, the voucher and its QR code,
"My orders", the map of issue points and the cashier desk — who may see what, the errors a
person sees (with their status, and nothing written), and the catalogue's query count."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
import segno
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activecitizen.geo.models import District
from activecitizen.notifications.models import Notification
from activecitizen.rewards.models import (
    Campaign,
    LedgerEntry,
    Order,
    OrderEvent,
    PointsAccount,
    Reward,
    StatusLevel,
    Stock,
)
from activecitizen.rewards.services import cancel_order, place_order
from activecitizen.rewards.tests.shop_factories import (
    give_points,
    make_issue_point,
    make_partner,
    make_reward,
    make_staff,
)

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("rewards:catalogue")
ORDERS = reverse("rewards:orders")
MAP = reverse("rewards:map")
DESK = reverse("rewards:desk")


def english() -> Client:
    # Assertions read English text: the Russian translations come later and must not break them.
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def anonymous() -> Client:
    return english()


@pytest.fixture
def resident(make_person):
    person = make_person("+79160000001", first_name="Анна")
    give_points(person, 1000)
    return person


@pytest.fixture
def as_resident(resident) -> Client:
    client = english()
    client.force_login(resident)
    return client


@pytest.fixture
def stranger(make_person):
    return make_person("+79160000002", first_name="Пётр")


@pytest.fixture
def as_stranger(stranger) -> Client:
    client = english()
    client.force_login(stranger)
    return client


@pytest.fixture
def theatre():
    return make_partner("Театр на Таганке", website="https://taganka.example")


@pytest.fixture
def box_office(theatre):
    return make_issue_point(
        theatre,
        name="Касса театра",
        address="Земляной Вал, 76/21",
        opening_hours="Ежедневно 12:00–19:00",
        district=District.objects.order_by("pk")[0],
    )


@pytest.fixture
def ticket(theatre, box_office):
    return make_reward(
        theatre,
        title="Билет на «Мастера и Маргариту»",
        description="Спектакль Юрия Любимова.",
        price=300,
        units={box_office: 3},
    )


@pytest.fixture
def cashier(make_person, theatre):
    return make_staff(theatre, make_person("+79160000009", first_name="Кассир"))


@pytest.fixture
def at_desk(cashier) -> Client:
    client = english()
    client.force_login(cashier)
    return client


def balance(person) -> int:
    return PointsAccount.objects.get(pk=person.pk).balance


def html(response) -> str:
    return response.content.decode()


def order_of(person, reward, point=None) -> Order:
    return place_order(
        user=person, reward_id=reward.pk, issue_point_id=point.pk if point else None
    ).order


# --- The catalogue --------------------------------------------------------------------------------


def test_catalogue_shows_rewards_to_anyone_with_a_sign_in_link(anonymous, ticket):
    answer = anonymous.get(CATALOGUE)
    page = html(answer)
    assert answer.status_code == 200
    assert ticket.title in page and "Театр на Таганке" in page and "300" in page
    assert reverse("rewards:reward", args=[ticket.pk]) in page
    assert "reward-placeholder cat-tickets" in page  # no image: the category's picture
    assert "Your balance" not in page
    assert reverse("accounts:sign_in") in page
    assert 'name="affordable"' not in page  # means nothing before signing in


def test_catalogue_shows_the_balance_when_signed_in(as_resident, ticket):
    page = html(as_resident.get(CATALOGUE))
    assert "Your balance" in page and "<strong>1,000</strong>" in page
    assert 'name="affordable"' in page


def test_sold_out_not_yet_on_sale_and_campaign_are_shown(anonymous, theatre, box_office):
    make_reward(theatre, title="Распродано", units={box_office: 0})
    make_reward(
        theatre,
        title="Скоро",
        units={box_office: 1},
        sale_starts_at=timezone.now() + timedelta(days=3),
    )
    campaign = Campaign.objects.create(
        title="Миллион призов",
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=30),
        qualifying_references="poll:1",
    )
    make_reward(theatre, title="Для участников", units={box_office: 1}, campaign=campaign)
    page = html(anonymous.get(CATALOGUE))
    card = re.search(r'<li class="reward-card sold-out">.*?</li>', page, re.S)
    assert card and "Распродано" in card.group() and "Sold out" in card.group()
    assert page.count("Sold out") == 1
    assert "Not on sale yet: from" in page
    assert 'class="badge campaign">Миллион призов<' in page


def test_filters_narrow_the_shelf(as_resident, theatre):
    home, other = District.objects.order_by("pk")[:2]
    here = make_issue_point(theatre, district=home)
    there = make_issue_point(theatre, district=other)
    cheap = make_reward(theatre, title="Дешёвый билет", price=50, units={here: 1})
    dear = make_reward(theatre, title="Дорогой билет", price=5000, units={there: 1})
    gone = make_reward(theatre, title="Закончился", price=60, units={here: 0})
    bike = make_reward(theatre, title="Велосипед на час", price=70, category="bikes", units=2)

    def titles(query: str) -> set[str]:
        answer = as_resident.get(f"{CATALOGUE}?{query}")
        assert answer.status_code == 200, query
        page = html(answer)
        return {r.title for r in (cheap, dear, gone, bike) if r.title in page}

    assert titles("category=bikes") == {bike.title}
    assert titles(f"district={other.pk}") == {dear.title}
    assert titles("max_price=60") == {cheap.title, gone.title}
    assert titles("affordable=on") == {cheap.title, gone.title, bike.title}  # balance 1,000
    assert titles("available=on") == {cheap.title, dear.title, bike.title}
    # Same case as the title: SQLite's LIKE folds the case of ASCII letters only.
    assert titles("q=Велосипед") == {bike.title}
    assert titles("q=taganka") == set()
    page = html(as_resident.get(f"{CATALOGUE}?sort=-price"))
    assert page.index(dear.title) < page.index(bike.title) < page.index(cheap.title)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("district=abc", "district"),
        ("district=999999", "district"),
        ("category=yachts", "category"),
        ("max_price=-5", "max_price"),
        ("max_price=lots", "max_price"),
        ("sort=random", "sort"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(anonymous, ticket, query, field):
    answer = anonymous.get(f"{CATALOGUE}?{query}")
    page = html(answer)
    assert answer.status_code == 400
    assert f'id="id_{field}_error"' in page
    assert "could not be read" in page
    assert ticket.title in page  # the shelf is still shown, without the bad filter


def test_a_bad_filter_does_not_drop_the_good_ones(anonymous, theatre):
    make_reward(theatre, title="Билет", category="tickets", units=1)
    make_reward(theatre, title="Самокат", category="bikes", units=1)
    page = html(anonymous.get(f"{CATALOGUE}?category=bikes&district=abc"))
    assert "Самокат" in page and ">Билет<" not in page


def test_districts_are_offered_by_okrug_in_the_readers_alphabet(anonymous):
    page = html(anonymous.get(CATALOGUE))
    okrugs = re.findall(r'<optgroup label="([^"]*)">', page)
    assert len(okrugs) >= 10 and okrugs == sorted(okrugs)
    assert "Central" in okrugs  # English names for an English reader
    central = re.search(r'<optgroup label="Central">(.*?)</optgroup>', page).group(1)
    names = re.findall(r"<option [^>]*>([^<]*)</option>", central)
    assert names == sorted(names) and "Arbat" in names


def test_catalogue_pages_by_24_and_keeps_the_filters(anonymous, theatre, box_office):
    for i in range(30):
        make_reward(theatre, title=f"Билет №{i:02d}", units={box_office: 1})
    first = html(anonymous.get(f"{CATALOGUE}?category=tickets"))
    assert len(re.findall(r'<li class="reward-card', first)) == 24
    assert "?category=tickets&amp;page=2" in first
    second = html(anonymous.get(f"{CATALOGUE}?category=tickets&page=2"))
    assert len(re.findall(r'<li class="reward-card', second)) == 6
    assert "Билет №00" in second  # newest first: the first made is last
    assert anonymous.get(f"{CATALOGUE}?page=zzz").status_code == 200


def test_catalogue_empty_states(anonymous, theatre):
    assert "no rewards in the shop yet" in html(anonymous.get(CATALOGUE))
    make_reward(theatre, title="Билет", units=1)
    page = html(anonymous.get(f"{CATALOGUE}?q=нет-такого"))
    assert "No rewards match these filters" in page


def test_unpublished_and_inactive_partners_rewards_are_not_shown(anonymous, theatre):
    make_reward(theatre, title="Черновик", is_published=False, units=1)
    closed = make_partner("Закрытый партнёр", is_active=False)
    make_reward(closed, title="От закрытого", units=1)
    page = html(anonymous.get(CATALOGUE))
    assert "Черновик" not in page and "От закрытого" not in page


def _catalogue_queries(client, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(f"{CATALOGUE}?available=on&affordable=on&sort=price").status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_catalogue_queries_do_not_grow_with_the_rewards(
    as_resident, theatre, box_office, django_assert_max_num_queries
):
    for i in range(3):
        make_reward(theatre, title=f"Билет {i}", units={box_office: 1}, price=10)
    # session, person, the district choices (then cached), the balance (shown, and for "I can
    # afford"), one count and one query for the page of rewards with their units left, the
    # notifications badge.
    first = _catalogue_queries(as_resident, django_assert_max_num_queries, 9)
    assert sum("geo_district" in sql for sql in first) == 1
    few = _catalogue_queries(as_resident, django_assert_max_num_queries, 8)
    for i in range(40):
        make_reward(theatre, title=f"Ещё билет {i}", units={box_office: 1}, price=10)
    many = _catalogue_queries(as_resident, django_assert_max_num_queries, 8)
    assert len(few) == len(many)
    assert sum("rewards_reward" in sql for sql in many) == 2  # the count and the page


def test_catalogue_escapes_what_partners_type(anonymous, theatre):
    make_reward(make_partner("<b>Партнёр</b>"), title="<script>alert(1)</script>", units=1)
    page = html(anonymous.get(CATALOGUE))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Партнёр</b>" not in page


# --- A reward and ordering it ---------------------------------------------------------------------


def test_reward_page_for_a_visitor(anonymous, ticket, box_office):
    answer = anonymous.get(reverse("rewards:reward", args=[ticket.pk]))
    page = html(answer)
    assert answer.status_code == 200
    assert ticket.title in page and "Спектакль Юрия Любимова." in page
    assert "Театр на Таганке" in page
    assert box_office.address in page and box_office.opening_hours in page
    assert box_office.district.name_en in page or box_office.district.name_ru in page
    assert "3 units left" in page and "3 left" in page
    assert "Sign in to order" in page
    assert 'name="order_token"' not in page


def test_reward_page_unknown_or_unpublished_is_404(anonymous, theatre):
    draft = make_reward(theatre, is_published=False, units=1)
    assert anonymous.get(reverse("rewards:reward", args=[draft.pk])).status_code == 404
    assert anonymous.get(reverse("rewards:reward", args=[999999])).status_code == 404


def test_ordering_needs_sign_in_and_writes_nothing(anonymous, ticket, box_office):
    answer = anonymous.post(
        reverse("rewards:reward", args=[ticket.pk]), {"issue_point": box_office.pk}
    )
    assert answer.status_code == 302 and reverse("accounts:sign_in") in answer["Location"]
    assert not Order.objects.exists()


def test_ordering_places_one_order_even_when_submitted_twice(
    as_resident, resident, ticket, box_office
):
    page = html(as_resident.get(reverse("rewards:reward", args=[ticket.pk])))
    token = re.search(r'name="order_token" value="([0-9a-f]+)"', page).group(1)
    assert re.search(rf'value="{box_office.pk}"\s+checked', page)  # the only place: preselected
    form = {"issue_point": box_office.pk, "order_token": token}
    first = as_resident.post(reverse("rewards:reward", args=[ticket.pk]), form)
    again = as_resident.post(reverse("rewards:reward", args=[ticket.pk]), form)
    placed = Order.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == reverse("rewards:order", args=[placed.pk])
    assert balance(resident) == 700
    assert Stock.objects.get(reward=ticket).quantity == 2
    # Each fresh form is another order.
    page = html(as_resident.get(reverse("rewards:reward", args=[ticket.pk])))
    assert token not in page


def _refused(client, reward, data, status, code_text):
    before = (Order.objects.count(), LedgerEntry.objects.count(), list(Stock.objects.values()))
    answer = client.post(reverse("rewards:reward", args=[reward.pk]), data)
    page = html(answer)
    assert answer.status_code == status, page
    assert 'role="alert"' in page and code_text in page
    assert (Order.objects.count(), LedgerEntry.objects.count(), list(Stock.objects.values())) == (
        before
    )
    return page


def test_not_enough_points(as_stranger, ticket, box_office):
    _refused(as_stranger, ticket, {"issue_point": box_office.pk}, 422, "Not enough points")


def test_sold_out(as_resident, theatre, box_office):
    gone = make_reward(theatre, units={box_office: 0})
    page = html(as_resident.get(reverse("rewards:reward", args=[gone.pk])))
    assert "Sold out" in page and "order_token" not in page
    _refused(as_resident, gone, {"issue_point": box_office.pk}, 409, "Sold out")


def test_limit_reached(as_resident, resident, theatre, box_office):
    limited = make_reward(theatre, units={box_office: 5}, per_person_limit=1, price=10)
    order_of(resident, limited, box_office)
    _refused(as_resident, limited, {"issue_point": box_office.pk}, 409, "as many times")


def test_not_on_sale_yet(as_resident, theatre, box_office):
    soon = make_reward(
        theatre, units={box_office: 5}, sale_starts_at=timezone.now() + timedelta(days=2)
    )
    assert "Not on sale yet" in html(as_resident.get(reverse("rewards:reward", args=[soon.pk])))
    _refused(as_resident, soon, {"issue_point": box_office.pk}, 409, "not on sale yet")


def test_status_too_low(as_resident, theatre, box_office, levels):
    top = StatusLevel.objects.order_by("-min_lifetime_points").first()
    vip = make_reward(theatre, units={box_office: 5}, min_status=top)
    _refused(as_resident, vip, {"issue_point": box_office.pk}, 403, "status")


def test_not_eligible_for_a_campaign(as_resident, theatre, box_office):
    campaign = Campaign.objects.create(
        title="Миллион призов",
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1),
        qualifying_references="poll:777",
    )
    prize = make_reward(theatre, units={box_office: 5}, campaign=campaign)
    _refused(as_resident, prize, {"issue_point": box_office.pk}, 403, "took part")


@pytest.mark.parametrize("point", ["", "abc", "other"])
def test_a_bad_issue_point(as_resident, ticket, theatre, point):
    if point == "other":
        point = make_issue_point(theatre).pk  # exists, but does not give this ticket
    page = _refused(as_resident, ticket, {"issue_point": point}, 422, "")
    assert 'aria-invalid="true"' in page


def test_ordering_a_promo_code_reveals_it(as_resident, theatre):
    promo = make_reward(
        theatre,
        title="Скидка 20%",
        category="promo_codes",
        delivery=Reward.Delivery.PROMO_CODE,
        codes=["TAGANKA-2026-XYZ"],
    )
    answer = as_resident.post(reverse("rewards:reward", args=[promo.pk]), {"order_token": "t1"})
    assert answer.status_code == 302
    page = html(as_resident.get(answer["Location"]))
    assert "TAGANKA-2026-XYZ" in page
    assert 'class="qr"' not in page  # nothing to show at a desk


def test_a_donation_says_thank_you(as_resident, resident):
    charity = make_partner("Фонд «Вера»", kind="charity")
    gift = make_reward(charity, category="charity", delivery=Reward.Delivery.DONATION, price=100)
    answer = as_resident.post(reverse("rewards:reward", args=[gift.pk]), {"order_token": "t2"})
    page = html(as_resident.get(answer["Location"]))
    assert "Thank you! Your 100 points went to Фонд «Вера»." in page
    assert balance(resident) == 900


def test_reward_page_escapes_what_partners_type(anonymous, theatre):
    point = make_issue_point(theatre, address="<img src=x onerror=alert(1)>")
    evil = make_reward(
        theatre,
        title="<script>alert(1)</script>",
        description="<iframe src=//evil>",
        units={point: 1},
    )
    page = html(anonymous.get(reverse("rewards:reward", args=[evil.pk])))
    assert "<script>alert(1)</script>" not in page
    assert "<iframe" not in page and "<img src=x" not in page


# --- The voucher ----------------------------------------------------------------------------------


def test_the_owner_sees_the_voucher(as_resident, resident, ticket, box_office):
    order = order_of(resident, ticket, box_office)
    answer = as_resident.get(reverse("rewards:order", args=[order.pk]))
    page = html(answer)
    assert answer.status_code == 200
    assert order.voucher_display in page
    assert f'src="{reverse("rewards:order_qr", args=[order.pk])}"' in page
    assert box_office.address in page
    assert "Pick up by" in page
    assert "Ready for pick-up" in page
    assert "placed" in page  # the history
    assert reverse("rewards:cancel_order", args=[order.pk]) in page


def test_nobody_else_sees_a_voucher(anonymous, as_stranger, at_desk, resident, ticket, box_office):
    order = order_of(resident, ticket, box_office)
    for name in ("rewards:order", "rewards:order_qr"):
        url = reverse(name, args=[order.pk])
        assert anonymous.get(url).status_code == 302
        assert as_stranger.get(url).status_code == 404
        assert at_desk.get(url).status_code == 404  # even the partner's cashier


def test_the_qr_code_is_the_bare_voucher_code(as_resident, resident, ticket, box_office):
    order = order_of(resident, ticket, box_office)
    answer = as_resident.get(reverse("rewards:order_qr", args=[order.pk]))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/svg+xml"
    assert "private" in answer["Cache-Control"]
    assert answer.content.startswith(b"<svg")
    expected = io.BytesIO()
    segno.make(order.voucher_code, error="m", micro=False).save(
        expected, kind="svg", scale=8, border=4, dark="#000", light="#fff", xmldecl=False
    )
    assert answer.content == expected.getvalue()
    assert segno.make(order.voucher_code, error="m").mode == "alphanumeric"


def test_cancelling_refunds_once(as_resident, resident, ticket, box_office):
    order = order_of(resident, ticket, box_office)
    url = reverse("rewards:cancel_order", args=[order.pk])
    assert as_resident.get(url).status_code == 405
    answer = as_resident.post(url)
    assert answer.status_code == 302
    assert balance(resident) == 1000
    assert Stock.objects.get(reward=ticket).quantity == 3
    page = html(as_resident.get(answer["Location"]))
    assert "300 points are back on your balance" in page
    assert "Cancelled" in page and "refunded" in page
    assert 'class="qr"' not in page and url not in page
    again = as_resident.post(url)
    assert again.status_code == 409 and "cancelled" in html(again)
    assert balance(resident) == 1000
    assert LedgerEntry.objects.filter(reason="refund").count() == 1


def test_nobody_else_can_cancel(as_stranger, anonymous, resident, ticket, box_office):
    order = order_of(resident, ticket, box_office)
    url = reverse("rewards:cancel_order", args=[order.pk])
    assert anonymous.post(url).status_code == 302
    assert as_stranger.post(url).status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.READY and balance(resident) == 700


def test_an_issued_order_cannot_be_cancelled(as_resident, resident, at_desk, ticket, box_office):
    order = order_of(resident, ticket, box_office)
    at_desk.post(DESK, {"action": "issue", "code": order.voucher_code})
    answer = as_resident.post(reverse("rewards:cancel_order", args=[order.pk]))
    assert answer.status_code == 409 and "already been issued" in html(answer)
    assert balance(resident) == 700


# --- My orders ------------------------------------------------------------------------------------


def test_my_orders_lists_only_mine(as_resident, resident, stranger, ticket, theatre, box_office):
    mine = order_of(resident, ticket, box_office)
    give_points(stranger, 1000)
    other = make_reward(theatre, title="Чужой заказ", units={box_office: 1}, price=10)
    order_of(stranger, other, box_office)
    page = html(as_resident.get(ORDERS))
    assert reverse("rewards:order", args=[mine.pk]) in page
    assert "status-ready" in page
    assert "Чужой заказ" not in page


def test_my_orders_empty_and_paginated(as_resident, resident, theatre, box_office):
    assert "Go to the rewards shop" in html(as_resident.get(ORDERS))
    cheap = make_reward(theatre, units={box_office: 30}, price=1)
    for _ in range(25):
        order_of(resident, cheap, box_office)
    first = html(as_resident.get(ORDERS))
    assert first.count('<li class="card">') == 20 and "page=2" in first
    assert html(as_resident.get(f"{ORDERS}?page=2")).count('<li class="card">') == 5


def test_my_orders_needs_sign_in(anonymous):
    assert anonymous.get(ORDERS).status_code == 302


# --- The map --------------------------------------------------------------------------------------


def test_map_lists_the_points_and_gives_the_markers(anonymous, theatre, settings):
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    home, other = District.objects.order_by("pk")[:2]
    make_issue_point(theatre, name="Касса <1>", district=home, address="Адрес 1")
    make_issue_point(theatre, name="Касса 2", district=other, address="Адрес 2")
    make_issue_point(theatre, name="Закрытая", district=home, is_active=False)
    answer = anonymous.get(MAP)
    page = html(answer)
    assert answer.status_code == 200
    assert "Касса &lt;1&gt;" in page and "Адрес 2" in page and "Закрытая" not in page
    assert 'data-tile-url="https://tiles.example/{z}/{x}/{y}.png"' in page
    blob = re.search(
        r'<script id="issue-point-markers" type="application/json">(.*?)</script>', page, re.S
    ).group(1)
    assert "<1>" not in blob  # json_script escapes markup
    markers = json.loads(blob)
    assert {m["name"] for m in markers} == {"Касса <1>", "Касса 2"}
    assert markers[0]["lat"] == "55.757000"
    # Only scripts with a src, besides the JSON: nothing inline for a strict CSP.
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag
    assert "vendor/leaflet/leaflet.js" in page

    filtered = html(anonymous.get(f"{MAP}?district={other.pk}"))
    assert "Адрес 2" in filtered and "Адрес 1" not in filtered
    assert anonymous.get(f"{MAP}?district=nope").status_code == 400


# --- The cashier desk -----------------------------------------------------------------------------


def test_desk_is_for_partner_staff_only(anonymous, as_stranger, make_person):
    assert anonymous.get(DESK).status_code == 302
    assert as_stranger.get(DESK).status_code == 403
    closed = make_partner("Бывший партнёр", is_active=False)
    former = make_staff(closed, make_person("+79160000055"))
    client = english()
    client.force_login(former)
    assert client.get(DESK).status_code == 403
    assert client.post(DESK, {"code": "X"}).status_code == 403


def test_desk_page_scripts_are_static_files(at_desk):
    page = html(at_desk.get(DESK))
    assert 'id="scan-button"' in page and "vendor/jsqr/jsQR.js" in page
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag


def test_cashier_finds_and_issues_a_voucher(at_desk, cashier, resident, ticket, box_office):
    order = order_of(resident, ticket, box_office)
    typed = order.voucher_display.lower()  # dashes and small letters are fine
    answer = at_desk.post(DESK, {"action": "find", "code": typed})
    assert answer.status_code == 302
    assert answer["Location"] == f"{DESK}?order={order.pk}"
    page = html(at_desk.get(answer["Location"]))
    assert ticket.title in page and "Анна" in page and "Ready for pick-up" in page
    assert box_office.address in page
    assert 'value="issue"' in page
    assert OrderEvent.objects.filter(order=order, action="checked", by=cashier).exists()

    answer = at_desk.post(DESK, {"action": "issue", "code": order.voucher_code})
    assert answer.status_code == 302
    page = html(at_desk.get(answer["Location"]))
    assert "Issued: " in page and 'value="issue"' not in page
    order.refresh_from_db()
    assert order.status == Order.Status.ISSUED and order.issued_by == cashier

    again = at_desk.post(DESK, {"action": "issue", "code": order.voucher_code})
    assert again.status_code == 409 and "already been issued" in html(again)


@pytest.mark.parametrize(
    ("code", "status", "text"),
    [
        ("0000-0000-0000-0000", 404, "There is no voucher with this code"),
        ("SHORT", 422, "16 letters and digits"),
        ("UUUUUUUUUUUUUUUU", 422, "16 letters and digits"),
        ("", 422, "required"),
    ],
)
def test_desk_refuses_bad_codes(at_desk, code, status, text):
    answer = at_desk.post(DESK, {"action": "find", "code": code})
    assert answer.status_code == status
    assert text in html(answer)
    assert not OrderEvent.objects.exists()


def test_a_cashier_sees_only_their_partners_orders(
    at_desk, make_person, resident, theatre, ticket, box_office
):
    museum = make_partner("Музей Москвы")
    exhibit = make_reward(museum, title="Билет в музей", units=3)
    theirs = order_of(resident, exhibit, exhibit.stock.get().issue_point)
    for action in ("find", "issue"):
        answer = at_desk.post(DESK, {"action": action, "code": theirs.voucher_code})
        assert answer.status_code == 403, action
        assert "another partner" in html(answer)
    answer = at_desk.post(DESK, {"action": "ready", "order": theirs.pk, "code": "x"})
    assert answer.status_code == 404
    # Nor by the order's number in the address.
    answer = at_desk.get(f"{DESK}?order={theirs.pk}")
    assert answer.status_code == 404 and "Билет в музей" not in html(answer)
    theirs.refresh_from_db()
    assert theirs.status == Order.Status.READY
    assert not OrderEvent.objects.filter(order=theirs).exclude(action="placed").exists()


def test_desk_refuses_cancelled_and_expired_vouchers(at_desk, resident, ticket, box_office):
    cancelled = order_of(resident, ticket, box_office)
    cancel_order(order_id=cancelled.pk, by=resident)
    answer = at_desk.post(DESK, {"action": "issue", "code": cancelled.voucher_code})
    assert answer.status_code == 409 and "cancelled" in html(answer)

    late = order_of(resident, ticket, box_office)
    Order.objects.filter(pk=late.pk).update(valid_until=timezone.now() - timedelta(minutes=1))
    page = html(at_desk.get(f"{DESK}?order={late.pk}"))
    assert "past the pick-up deadline" in page
    answer = at_desk.post(DESK, {"action": "issue", "code": late.voucher_code})
    assert answer.status_code == 409 and "expired" in html(answer)
    assert Order.objects.filter(status=Order.Status.ISSUED).count() == 0


def test_marking_an_order_ready_tells_the_person(at_desk, cashier, resident, theatre, box_office):
    prepared = make_reward(theatre, units={box_office: 2}, needs_preparation=True, price=10)
    order = order_of(resident, prepared, box_office)
    assert order.status == Order.Status.RESERVED
    page = html(at_desk.get(f"{DESK}?order={order.pk}"))
    assert 'value="ready"' in page and 'value="issue"' not in page
    early = at_desk.post(DESK, {"action": "issue", "code": order.voucher_code})
    assert early.status_code == 409 and "not ready" in html(early)
    answer = at_desk.post(DESK, {"action": "ready", "order": order.pk, "code": order.voucher_code})
    assert answer.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.READY and order.valid_until is not None
    assert Notification.objects.filter(user=resident, kind="order_ready").count() == 1


def test_desk_escapes_names(at_desk, make_person, theatre, box_office):
    person = make_person("+79160000077", first_name="<script>x</script>")
    give_points(person, 500)
    evil = make_reward(theatre, title="<b>bold</b>", units={box_office: 1})
    order = order_of(person, evil, box_office)
    page = html(at_desk.get(f"{DESK}?order={order.pk}"))
    assert "<script>x</script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_a_cashier_may_not_download_the_partner_report(at_desk, theatre):
    # The report is for the partner's managers (test_shop_report.py covers who may).
    url = reverse("rewards:partner_report", args=[theatre.pk])
    assert at_desk.get(url).status_code == 403
