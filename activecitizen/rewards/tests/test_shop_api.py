"""The shop's API (API.md): catalogue, a reward, issue points, ordering with Idempotency-Key,
my orders, cancelling, the cashier's desk; every refusal in the API's error shape, writing
nothing; who may do what."""

from __future__ import annotations

import typing

import pytest
from django.db.models import Sum

from activecitizen.accounts.services import issue_api_token
from activecitizen.geo.models import District
from activecitizen.rewards import api as shop_api
from activecitizen.rewards.models import (
    LedgerEntry,
    Order,
    OrderEvent,
    PointsAccount,
    Reward,
    Stock,
)
from activecitizen.rewards.tests.shop_fixtures import (
    later,
    new_cashier,
    new_partner,
    new_person,
    new_reward,
    point_of,
)

pytestmark = pytest.mark.django_db


def bearer(person) -> dict:
    _token, raw = issue_api_token(user=person, device="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}


def post(client, url, body=None, **headers):
    return client.post(url, body or {}, content_type="application/json", **headers)


def written():
    return (
        Order.objects.count(),
        LedgerEntry.objects.count(),
        Stock.objects.aggregate(s=Sum("quantity"))["s"],
        OrderEvent.objects.count(),
    )


def order_url(reward) -> str:
    return f"/api/v1/rewards/{reward.pk}/orders"


# --- The catalogue -------------------------------------------------------------------------------


def test_the_catalogue_is_public_and_filters(client):
    cheap = new_reward(price=50, units=2, title="Музей Москвы")
    new_reward(price=500, category=Reward.Category.BIKES, title="Велопрокат")
    gone = new_reward(price=70, units=0, title="Распродано")
    new_reward(price=10, is_published=False, title="Черновик")
    body = client.get("/api/v1/rewards?sort=price", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["count"] == 3
    assert [r["title"] for r in body["items"]] == ["Музей Москвы", "Распродано", "Велопрокат"]
    card = body["items"][0]
    assert card["units_left"] == 2 and card["sold_out"] is False and card["on_sale"] is True
    assert card["category_label"] == "theatre and museum tickets"
    assert card["partner"]["name"] == cheap.partner.name
    assert body["items"][1]["sold_out"] is True
    bikes = client.get("/api/v1/rewards?category=bikes").json()
    assert [r["title"] for r in bikes["items"]] == ["Велопрокат"]
    available = client.get("/api/v1/rewards?available=true").json()
    assert gone.pk not in {r["id"] for r in available["items"]}
    found = client.get("/api/v1/rewards?q=музей").json()
    assert [r["id"] for r in found["items"]] == [cheap.pk]
    paged = client.get("/api/v1/rewards?limit=1&offset=1&sort=-price").json()
    assert paged["count"] == 3 and [r["id"] for r in paged["items"]] == [gone.pk]


def test_affordable_needs_sign_in_and_follows_the_balance(client):
    new_reward(price=50)
    new_reward(price=500)
    anonymous = client.get("/api/v1/rewards?affordable=true")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    person = new_person(points=100)
    body = client.get("/api/v1/rewards?affordable=true", **bearer(person)).json()
    assert [r["price"] for r in body["items"]] == [50]


def test_filter_by_district_keeps_codes_and_donations(client):
    districts = list(District.objects.order_by("pk")[:2])
    here = new_reward(price=10)
    Stock.objects.filter(reward=here).update(issue_point=_point_in(here, districts[1]))
    elsewhere = new_reward(price=10)
    code = new_reward(price=10, category="promo_codes", delivery="promo_code", units=1)
    body = client.get(f"/api/v1/rewards?district={districts[1].pk}").json()
    assert {r["id"] for r in body["items"]} == {here.pk, code.pk}
    assert elsewhere.pk not in {r["id"] for r in body["items"]}


def _point_in(reward, district):
    from activecitizen.rewards.tests.shop_fixtures import new_issue_point

    return new_issue_point(reward.partner, district=district)


@pytest.mark.parametrize(
    "query",
    [
        "category=spaceships",
        "district=999999999",
        "district=abc",
        "max_price=-1",
        "limit=0",
        "limit=101",
        "sort=random",
        "offset=-5",
        "q=" + "x" * 101,
    ],
)
def test_bad_filters_are_a_clear_422(client, query):
    answer = client.get(f"/api/v1/rewards?{query}")
    assert answer.status_code == 422
    assert set(answer.json()) == {"code", "message", "field"}


def test_the_category_filter_knows_every_category():
    annotation = typing.get_type_hints(shop_api.rewards)["category"]
    literal = next(a for a in typing.get_args(annotation) if a is not type(None))
    assert set(typing.get_args(literal)) == set(Reward.Category.values)


def test_a_reward_with_where_to_pick_it_up(client):
    reward = new_reward(price=30, units=4, description="Спектакль")
    body = client.get(f"/api/v1/rewards/{reward.pk}").json()
    assert body["description"] == "Спектакль"
    [point] = body["pick_up_points"]
    assert point["id"] == point_of(reward) and point["units_left"] == 4
    assert point["district"]["id"] and point["lat"]
    hidden = new_reward(price=30, is_published=False)
    for missing in (hidden.pk, 10**9):
        answer = client.get(f"/api/v1/rewards/{missing}")
        assert answer.status_code == 404 and answer.json()["code"] == "reward_not_found"


def test_issue_points_for_the_map(client):
    reward = new_reward(price=10)
    new_reward(new_partner(is_active=False), price=10)  # a closed partner's point is hidden
    body = client.get("/api/v1/issue-points").json()
    assert [p["id"] for p in body["items"]] == [point_of(reward)]


# --- Ordering ------------------------------------------------------------------------------------


def test_an_order_through_the_api_and_its_replay(client):
    person = new_person(points=100)
    reward = new_reward(price=60, units=2)
    auth = bearer(person)
    body = {"issue_point_id": point_of(reward)}
    first = post(client, order_url(reward), body, HTTP_IDEMPOTENCY_KEY="tap-1", **auth)
    assert first.status_code == 201, first.json()
    order = first.json()
    assert order["status"] == "ready" and len(order["voucher_code"]) == 16
    assert order["issue_point"]["id"] == point_of(reward) and order["can_cancel"] is True
    again = post(client, order_url(reward), body, HTTP_IDEMPOTENCY_KEY="tap-1", **auth)
    assert again.status_code == 201 and again.json()["id"] == order["id"]
    assert PointsAccount.objects.get(pk=person.pk).balance == 40
    poor = post(client, order_url(reward), body, HTTP_IDEMPOTENCY_KEY="tap-2", **auth)
    assert poor.status_code == 422 and poor.json()["code"] == "insufficient_points"


def test_a_promo_code_is_in_the_answer(client):
    person = new_person(points=100)
    reward = new_reward(price=10, category="promo_codes", delivery="promo_code", units=1)
    answer = post(client, order_url(reward), {"issue_point_id": None}, **bearer(person))
    assert answer.status_code == 201
    assert answer.json()["promo_code"].startswith("CODE-") and answer.json()["status"] == "issued"


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("sold_out", 409, "sold_out"),
        ("poor", 422, "insufficient_points"),
        ("not_yet", 409, "not_on_sale"),
        ("limit", 409, "limit_reached"),
        ("no_point", 422, "required"),
        ("foreign_point", 422, "invalid"),
    ],
)
def test_refused_orders_write_nothing(client, setup, status, code):
    person = new_person(points=10 if setup == "poor" else 100)
    fields = {
        "sold_out": {"units": 0},
        "not_yet": {"sale_starts_at": later(1)},
        "limit": {"per_person_limit": 1},
    }.get(setup, {})
    reward = new_reward(price=20, **fields)
    point = point_of(reward)
    if setup == "limit":
        post(client, order_url(reward), {"issue_point_id": point}, **bearer(person))
    if setup == "no_point":
        point = None
    if setup == "foreign_point":
        point = point_of(new_reward(price=1))
    before = written()
    answer = post(client, order_url(reward), {"issue_point_id": point}, **bearer(person))
    assert answer.status_code == status
    assert answer.json()["code"] == code
    assert written() == before


def test_ordering_needs_sign_in_and_a_sane_body(client):
    reward = new_reward(price=10)
    assert post(client, order_url(reward), {"issue_point_id": 1}).status_code == 401
    auth = bearer(new_person(points=100))
    bad = post(client, order_url(reward), {"issue_point_id": "here"}, **auth)
    assert bad.status_code == 422 and bad.json()["field"] == "issue_point_id"
    huge = post(client, order_url(reward), {"issue_point_id": 10**30}, **auth)
    assert huge.status_code == 422
    long_key = post(
        client, order_url(reward), {"issue_point_id": 1}, HTTP_IDEMPOTENCY_KEY="k" * 201, **auth
    )
    assert long_key.status_code == 422
    missing = post(client, "/api/v1/rewards/999999/orders", {"issue_point_id": 1}, **auth)
    assert missing.status_code == 404 and missing.json()["code"] == "reward_not_found"


def test_an_order_by_a_token_nobody_holds_is_401_and_writes_nothing(client):
    # The app's token is read inside the order's first statement, not before it.
    from activecitizen.accounts.models import ApiToken

    reward = new_reward(price=10)
    body = {"issue_point_id": point_of(reward)}
    person = new_person(points=100)
    auth = bearer(person)
    ApiToken.objects.filter(user=person).update(revoked_at=later(0))
    gone = new_person(points=100)
    gone_auth = bearer(gone)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    before = written()
    revoked = post(client, order_url(reward), body, **auth)
    assert revoked.status_code == 401 and revoked.json()["code"] == "not_authenticated"
    unknown = post(client, order_url(reward), body, HTTP_AUTHORIZATION="Bearer nobody-has-this")
    assert unknown.status_code == 401
    assert post(client, order_url(reward), body, **gone_auth).status_code == 401
    assert written() == before


def test_a_refused_order_still_marks_the_token_used(client):
    from activecitizen.accounts.models import ApiToken

    reward = new_reward(price=10, units=0)
    person = new_person(points=100)
    auth = bearer(person)
    assert ApiToken.objects.get(user=person).last_used_at is None
    answer = post(client, order_url(reward), {"issue_point_id": point_of(reward)}, **auth)
    assert answer.json()["code"] == "sold_out"
    assert ApiToken.objects.get(user=person).last_used_at is not None


# --- My orders -----------------------------------------------------------------------------------


def test_my_orders_are_mine_and_cancelling_refunds_once(client):
    person, other = new_person(points=100), new_person(points=100)
    reward = new_reward(price=40)
    body = {"issue_point_id": point_of(reward)}
    mine = post(client, order_url(reward), body, **bearer(person)).json()
    theirs = post(client, order_url(reward), body, **bearer(other)).json()
    listed = client.get("/api/v1/me/orders", **bearer(person)).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == mine["id"]
    assert client.get(f"/api/v1/me/orders/{theirs['id']}", **bearer(person)).status_code == 404
    refused = post(client, f"/api/v1/me/orders/{theirs['id']}/cancel", **bearer(person))
    assert refused.status_code == 404
    cancelled = post(client, f"/api/v1/me/orders/{mine['id']}/cancel", **bearer(person))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["can_cancel"] is False
    twice = post(client, f"/api/v1/me/orders/{mine['id']}/cancel", **bearer(person))
    assert twice.status_code == 409 and twice.json()["code"] == "order_cancelled"
    assert PointsAccount.objects.get(pk=person.pk).balance == 100
    only_cancelled = client.get("/api/v1/me/orders?status=cancelled", **bearer(person)).json()
    assert only_cancelled["count"] == 1
    assert client.get("/api/v1/me/orders?status=lost", **bearer(person)).status_code == 422
    assert client.get("/api/v1/me/orders").status_code == 401


# --- The cashier's desk --------------------------------------------------------------------------


def test_a_cashier_looks_up_and_issues_a_voucher_of_their_partner_only(client):
    person = new_person(points=100, first_name="Мария", last_name="Иванова")
    reward = new_reward(price=10)
    order = post(
        client, order_url(reward), {"issue_point_id": point_of(reward)}, **bearer(person)
    ).json()
    code = order["voucher_code"]
    cashier, stranger = new_cashier(reward.partner), new_cashier(new_partner())
    seen = client.get(f"/api/v1/cashier/vouchers/{code.lower()}", **bearer(cashier)).json()
    assert seen["id"] == order["id"] and seen["person"] == "Мария"
    assert "Иванова" not in str(seen)
    other = post(client, f"/api/v1/cashier/vouchers/{code}/issue", **bearer(stranger))
    assert other.status_code == 403 and other.json()["code"] == "other_partner"
    resident = post(client, f"/api/v1/cashier/vouchers/{code}/issue", **bearer(person))
    assert resident.status_code == 403
    issued = post(client, f"/api/v1/cashier/vouchers/{code}/issue", **bearer(cashier))
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    used = post(client, f"/api/v1/cashier/vouchers/{code}/issue", **bearer(cashier))
    assert used.status_code == 409 and used.json()["code"] == "already_issued"
    unknown = post(client, "/api/v1/cashier/vouchers/0000000000000000/issue", **bearer(cashier))
    assert unknown.status_code == 404 and unknown.json()["code"] == "voucher_not_found"
    malformed = post(client, "/api/v1/cashier/vouchers/abc/issue", **bearer(cashier))
    assert malformed.status_code == 422
    assert post(client, f"/api/v1/cashier/vouchers/{code}/issue").status_code == 401


def test_the_partner_marks_an_order_ready(client):
    person = new_person(points=100)
    reward = new_reward(price=10, needs_preparation=True)
    order = post(
        client, order_url(reward), {"issue_point_id": point_of(reward)}, **bearer(person)
    ).json()
    assert order["status"] == "reserved" and order["valid_until"] is None
    url = f"/api/v1/cashier/orders/{order['id']}/ready"
    assert post(client, url, **bearer(new_cashier(new_partner()))).status_code == 404
    ready = post(client, url, **bearer(new_cashier(reward.partner)))
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.json()["valid_until"] is not None


def test_the_openapi_document_describes_the_shop(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/rewards",
        "/api/v1/rewards/{reward_id}",
        "/api/v1/rewards/{reward_id}/orders",
        "/api/v1/issue-points",
        "/api/v1/me/orders",
        "/api/v1/me/orders/{order_id}/cancel",
        "/api/v1/cashier/vouchers/{code}/issue",
    ):
        assert path in paths, path
    assert {"201", "409", "422"} <= set(
        paths["/api/v1/rewards/{reward_id}/orders"]["post"]["responses"]
    )
