"""GET /api/v1/me/points: balance, status, history with paging, errors in the API's shape."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activecitizen.accounts.services import issue_api_token
from activecitizen.rewards.models import LedgerEntry
from activecitizen.rewards.services import credit_points, debit_points

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/points"


@pytest.fixture
def token(person):
    _token, raw = issue_api_token(user=person, device="test")
    return raw


def get(client, token, query="", **headers):
    return client.get(URL + query, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def earn(person, count, amount=20):
    """`count` poll credits a minute apart, the last one the newest."""
    start = timezone.now() - timedelta(minutes=count)
    for i in range(count):
        credit_points(
            user_id=person.pk,
            amount=amount,
            reason="poll",
            reference=f"poll:{i}",
            idempotency_key=f"poll:{i}:user:{person.pk}",
        )
        LedgerEntry.objects.filter(reference=f"poll:{i}").update(
            created_at=start + timedelta(minutes=i)
        )


def test_the_answer_has_the_documented_shape(client, token, person, levels):
    earn(person, 6)  # 120 points
    debit_points(
        user_id=person.pk, amount=30, reason="order", reference="order:5", idempotency_key="o5"
    )
    body = get(client, token, HTTP_ACCEPT_LANGUAGE="en").json()
    assert set(body) == {"balance", "lifetime", "status", "next_status", "entries", "count"}
    assert (body["balance"], body["lifetime"], body["count"]) == (90, 120, 7)
    assert body["status"] == {"code": "participant", "name": "Participant", "min_points": 100}
    assert body["next_status"] == {
        "code": "engaged_resident",
        "name": "Engaged resident",
        "min_points": 400,
    }
    newest = body["entries"][0]
    assert set(newest) == {"id", "amount", "reason", "reason_label", "reference", "created_at"}
    assert (newest["amount"], newest["reason"], newest["reference"]) == (-30, "order", "order:5")
    assert newest["reason_label"] == "a reward ordered"
    assert body["entries"][1]["reference"] == "poll:5"


def test_names_are_in_the_language_asked_for(client, token, person, levels):
    earn(person, 1)
    body = get(client, token, HTTP_ACCEPT_LANGUAGE="ru").json()
    assert body["status"]["name"] == "Новичок"


def test_history_is_paged_newest_first(client, token, person, levels):
    earn(person, 25)
    first = get(client, token, "?limit=10").json()
    second = get(client, token, "?limit=10&offset=10").json()
    last = get(client, token, "?limit=10&offset=20").json()
    beyond = get(client, token, "?limit=10&offset=100").json()
    assert first["count"] == second["count"] == 25
    references = [e["reference"] for page in (first, second, last) for e in page["entries"]]
    assert references == [f"poll:{i}" for i in range(24, -1, -1)]
    assert beyond["entries"] == [] and beyond["count"] == 25
    assert len(get(client, token).json()["entries"]) == 20  # the default page


def test_a_newcomer_without_points_gets_zeros(client, token, levels):
    body = get(client, token).json()
    assert (body["balance"], body["lifetime"], body["entries"], body["count"]) == (0, 0, [], 0)
    assert body["status"]["code"] == "newcomer"


def test_the_session_of_the_site_works_too(client, person, levels):
    earn(person, 1)
    client.force_login(person)
    assert client.get(URL).json()["balance"] == 20


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=x", "limit"),
        ("?offset=-1", "offset"),
        ("?offset=99999999999999999999999", "offset"),
    ],
)
def test_bad_paging_is_422_naming_the_field(client, token, query, field):
    answer = get(client, token, query)
    assert answer.status_code == 422
    body = answer.json()
    assert set(body) == {"code", "message", "field"}
    assert body["field"] == field


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"])
def test_without_signing_in_it_is_401(client, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    answer = client.get(URL, **headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"


def test_the_openapi_document_describes_it_with_its_errors(client):
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/me/points"]["get"]
    assert operation["tags"] == ["points"]
    assert {"200", "401", "422"} <= set(operation["responses"])
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert (parameters["limit"]["minimum"], parameters["limit"]["maximum"]) == (1, 100)
