"""The decisions admin: editors change status through the service (its error shown on the
form), residents with a staff flag but no role see nothing."""

from __future__ import annotations

import pytest

from activecitizen.accounts.services import sync_role_permissions
from activecitizen.decisions.models import Decision, Status
from activecitizen.decisions.tests.factories import make_decision, make_editor, make_resident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _roles():
    sync_role_permissions()


def _form(decision: Decision, **changes) -> dict:
    data = {
        "title": decision.title,
        "description": decision.description,
        "category": decision.category,
        "department": decision.department,
        "is_published": "on",
        "lat": str(decision.lat),
        "lon": str(decision.lon),
        "new_status": "",
        "reason": "",
    }
    for prefix in ("steps", "updates"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(changes)
    return data


def test_an_editor_cancels_with_a_reason_through_the_form(client):
    editor = make_editor()
    decision = make_decision(editor)
    client.force_login(editor)
    url = f"/admin/decisions/decision/{decision.pk}/change/"
    refused = client.post(url, _form(decision, new_status="cancelled"))
    assert refused.status_code == 200
    assert 'class="errorlist' in refused.content.decode()
    assert Decision.objects.get(pk=decision.pk).status == Status.PLANNED
    done = client.post(url, _form(decision, new_status="done"))
    assert done.status_code == 200 and Decision.objects.get(pk=decision.pk).status == "planned"
    accepted = client.post(url, _form(decision, new_status="cancelled", reason="Нет бюджета"))
    assert accepted.status_code == 302
    decision.refresh_from_db()
    assert decision.status == Status.CANCELLED and decision.cancel_reason == "Нет бюджета"


def test_the_list_actions_use_the_service(client):
    editor = make_editor()
    decision = make_decision(editor)
    client.force_login(editor)
    answer = client.post(
        "/admin/decisions/decision/", {"action": "mark_done", "_selected_action": [decision.pk]}
    )
    assert answer.status_code == 302
    assert Decision.objects.get(pk=decision.pk).status == Status.PLANNED
    client.post(
        "/admin/decisions/decision/", {"action": "start_work", "_selected_action": [decision.pk]}
    )
    assert Decision.objects.get(pk=decision.pk).status == Status.IN_PROGRESS


def test_staff_without_the_role_may_not(client):
    decision = make_decision()
    client.force_login(make_resident(is_staff=True))
    assert client.get("/admin/decisions/decision/").status_code == 403
    assert client.get(f"/admin/decisions/decision/{decision.pk}/change/").status_code == 403


def test_admin_pages_open(admin_client):
    decision = make_decision()
    for url in (
        "/admin/decisions/decision/",
        "/admin/decisions/decision/add/",
        f"/admin/decisions/decision/{decision.pk}/change/",
        "/admin/decisions/decision/?status__exact=planned",
    ):
        assert admin_client.get(url).status_code == 200


def test_an_update_posted_in_the_admin_goes_through_the_service(client):
    from activecitizen.decisions.models import DecisionUpdate

    editor = make_editor()
    decision = make_decision(editor)
    client.force_login(editor)
    url = f"/admin/decisions/decision/{decision.pk}/change/"
    answer = client.post(
        url,
        _form(
            decision,
            **{
                "updates-TOTAL_FORMS": "1",
                "updates-0-text": "  Подрядчик вышел на объект  ",
                "updates-0-decision": str(decision.pk),
            },
        ),
    )
    assert answer.status_code == 302
    update = DecisionUpdate.objects.get(decision=decision)
    # The service trims the text and names the author.
    assert (update.text, update.author) == ("Подрядчик вышел на объект", editor)
