"""Novelties in the admin: editors keep novelties, staff read ratings with their feedback
(escaped), nobody edits a rating, and saving a novelty never puts back stale totals."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from activecitizen.accounts.roles import Role
from activecitizen.novelties import services
from activecitizen.novelties.models import Novelty
from activecitizen.novelties.tests.factories import kept, make_novelty, make_resident, recount

pytestmark = pytest.mark.django_db


def staff(role: str, phone: str):
    person = make_resident(phone, is_staff=True)
    person.groups.add(Group.objects.get(name=role))
    return person


def test_a_moderator_reads_feedback_escaped_but_cannot_change_ratings(client):
    novelty = make_novelty()
    services.rate_novelty(
        novelty_id=novelty.pk, user=make_resident(), stars=2, feedback="<b>Табло не работает</b>"
    )
    client.force_login(staff(Role.MODERATOR, "+79990000103"))
    page = client.get(reverse("admin:novelties_rating_changelist"))
    assert page.status_code == 200
    assert "&lt;b&gt;Табло не работает&lt;/b&gt;" in page.content.decode()
    rating = novelty.ratings.get()
    change = client.post(reverse("admin:novelties_rating_change", args=[rating.pk]), {"stars": 5})
    assert change.status_code == 403
    assert client.get(reverse("admin:novelties_rating_add")).status_code == 403
    assert client.get(reverse("admin:novelties_novelty_add")).status_code == 403


def test_an_editor_saves_a_novelty_without_touching_its_totals(client):
    novelty = make_novelty()
    editor = staff(Role.EDITOR, "+79990000102")
    client.force_login(editor)
    url = reverse("admin:novelties_novelty_change", args=[novelty.pk])
    assert client.get(url).status_code == 200
    # A rating arrives after the editor opened the form, before they save it.
    services.rate_novelty(novelty_id=novelty.pk, user=make_resident(), stars=5)
    answer = client.post(
        url,
        {
            "title": "Новое название",
            "description": "Текст",
            "category": "parks",
            "district": "",
            "launched_on": "2025-06-15",
            "points": "3",
            "is_published": "on",
            "photos-TOTAL_FORMS": "0",
            "photos-INITIAL_FORMS": "0",
            "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "1000",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    novelty = Novelty.objects.get(pk=novelty.pk)
    assert novelty.title == "Новое название"
    assert kept(novelty) == recount(novelty) and novelty.ratings_count == 1
