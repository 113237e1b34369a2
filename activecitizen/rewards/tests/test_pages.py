"""The "My points" page: balance, status with progress, history in pages of 50."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from activecitizen.rewards.models import LedgerEntry, StatusLevel
from activecitizen.rewards.services import credit_points, debit_points

pytestmark = pytest.mark.django_db


def url():
    return reverse("rewards:points")


def earn(person, amount, key, reference="poll:1"):
    credit_points(
        user_id=person.pk, amount=amount, reason="poll", reference=reference, idempotency_key=key
    )


def rows(page):
    return re.findall(r"<tr>\s*<td>", page.content.decode())


@pytest.fixture
def signed_in(client, person):
    client.force_login(person)
    return client


def test_the_page_needs_sign_in(client):
    answer = client.get(url())
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("accounts:sign_in"))
    assert "next=/rewards/points/" in answer["Location"]


def test_balance_status_and_progress(signed_in, person, levels):
    earn(person, 250, "c1")
    debit_points(user_id=person.pk, amount=30, reason="order", reference="", idempotency_key="d1")
    with translation.override("en"):
        page = signed_in.get(url(), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<strong>220</strong>" in html and "<strong>250</strong>" in html
    assert "Participant" in html
    # The bar says in text and to assistive technology how far the next status is.
    assert "150 more points to earn for the status “Engaged resident”" in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="50"' in html
    assert 'aria-labelledby="status-progress-text"' in html
    assert len(rows(page)) == 2
    assert "−30" in html and "+250" in html


def test_the_highest_status_has_no_bar(signed_in, person, levels):
    earn(person, 6000, "c1")
    html = signed_in.get(url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "6,000" in html or "6 000" in html or "6000" in html
    assert 'role="progressbar"' not in html
    assert "highest status" in html


def test_someone_without_points_sees_an_empty_history(signed_in, levels):
    html = signed_in.get(url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="empty"' in html
    assert "<table>" not in html
    assert "Newcomer" in html


def test_only_my_own_entries_are_shown(signed_in, person, make_person, levels):
    stranger = make_person()
    earn(person, 20, "mine", reference="poll:mine")
    earn(stranger, 20, "theirs", reference="poll:theirs")
    html = signed_in.get(url()).content.decode()
    assert "poll:mine" in html and "poll:theirs" not in html


def test_history_is_paginated_by_fifty_newest_first(signed_in, person, levels):
    for i in range(120):
        earn(person, 1, f"k{i}", reference=f"ref-{i:03d}")
    first = signed_in.get(url())
    third = signed_in.get(url() + "?page=3")
    assert len(rows(first)) == 50 and len(rows(third)) == 20
    assert "ref-119" in first.content.decode() and "ref-069" not in first.content.decode()
    assert "ref-000" in third.content.decode()
    assert 'rel="next"' in first.content.decode() and 'rel="next"' not in third.content.decode()
    # Nonsense page numbers show a page, never an error.
    assert signed_in.get(url() + "?page=abc").status_code == 200
    assert "ref-000" in signed_in.get(url() + "?page=99").content.decode()


def test_text_from_elsewhere_is_escaped(signed_in, person, levels):
    earn(person, 1000, "c1", reference="<script>alert(1)</script>")
    StatusLevel.objects.filter(code="active_citizen").update(
        name_ru="<img src=x onerror=alert(2)>", name_en="<img src=x onerror=alert(2)>"
    )
    html = signed_in.get(url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert LedgerEntry.objects.count() == 1
