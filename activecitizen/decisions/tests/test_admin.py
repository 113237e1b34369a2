"""The decisions admin: editors add and edit a decision and its steps, and change its status,
through the services (a refusal shown on the form, at the field or the step, with nothing
written); residents with a staff flag but no role see nothing."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from activecitizen.accounts.services import sync_role_permissions
from activecitizen.decisions import selectors, services
from activecitizen.decisions.models import Decision, DecisionStep, Status
from activecitizen.decisions.tests.factories import (
    make_decision,
    make_editor,
    make_resident,
    some_districts,
)

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


def _steps(*rows: dict, initial: int = 0) -> dict:
    """The steps inline's POST: each row a dict of position, title, weight, percent (and id)."""
    data = {
        "steps-TOTAL_FORMS": str(len(rows)),
        "steps-INITIAL_FORMS": str(initial),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"steps-{i}-{name}"] = str(value)
    return data


def _existing_steps(decision: Decision, **changes: dict) -> list[dict]:
    """The inline's rows for the decision's steps as they stand; `changes` by step title."""
    return [
        {
            "id": step.pk,
            "decision": decision.pk,
            "position": step.position,
            "title": step.title,
            "weight": step.weight,
            "percent": step.percent,
            **changes.get(step.title, {}),
        }
        for step in decision.steps.all()
    ]


def _written(decision: Decision) -> tuple:
    """What the database holds of a decision: its fields and its steps."""
    fresh = Decision.objects.get(pk=decision.pk)
    steps = [(s.pk, s.title, s.weight, s.percent, s.position) for s in fresh.steps.all()]
    return (fresh.title, fresh.planned_start, fresh.planned_finish, fresh.lat, fresh.status), steps


def test_an_editor_adds_a_decision_with_steps_through_the_services(client):
    editor = make_editor()
    district = some_districts(1)[0]
    client.force_login(editor)
    data = {
        "title": "  Новый сквер у метро  ",
        "description": "После голосования жителей",
        "category": "parks",
        "department": "Департамент ЖКХ",
        "is_published": "on",
        "planned_start": "2026-03-01",
        "planned_finish": "2026-10-01",
        "lat": "55.75",
        "lon": "37.62",
        "districts": [str(district.pk)],
        "new_status": "in_progress",
        "reason": "",
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
        **_steps(
            # Listed out of order: the position orders them.
            {"position": 2, "title": "Посадки", "weight": 7, "percent": 0},
            {"position": 1, "title": "Проект", "weight": 1, "percent": 100},
        ),
    }
    answer = client.post("/admin/decisions/decision/add/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 302, answer.content.decode()[:3000]
    decision = Decision.objects.get()
    assert decision.title == "Новый сквер у метро" and decision.created_by == editor
    assert list(decision.districts.all()) == [district]
    assert decision.status == Status.IN_PROGRESS
    assert [(s.position, s.title) for s in decision.steps.all()] == [(0, "Проект"), (1, "Посадки")]
    # 1·100 / (1 + 7) = 12.5 → 13, half up.
    assert selectors.progress(decision) == 13
    assert LogEntry.objects.filter(object_id=str(decision.pk)).count() == 1


def test_an_editor_edits_the_fields_and_the_steps_and_the_progress_follows(client):
    editor = make_editor()
    decision = make_decision(editor)
    kept = services.add_step(decision=decision, title="Проект", weight=2, by=editor)
    services.add_step(decision=decision, title="Разметка", weight=1, by=editor)
    client.force_login(editor)
    rows = _existing_steps(decision, Проект={"percent": 50}, Разметка={"DELETE": "on"})
    rows.append({"decision": decision.pk, "position": 5, "title": "Освещение", "weight": 3})
    rows[-1]["percent"] = 100
    answer = client.post(
        f"/admin/decisions/decision/{decision.pk}/change/",
        _form(decision, title="Обновить двор", **_steps(*rows, initial=2)),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    decision.refresh_from_db()
    assert decision.title == "Обновить двор" and decision.created_by == editor
    steps = list(decision.steps.all())
    assert [(s.title, s.position) for s in steps] == [("Проект", 0), ("Освещение", 1)]
    assert steps[0].pk == kept.pk and steps[0].percent == 50
    # (2·50 + 3·100) / 5 = 80.
    assert selectors.progress(decision) == 80


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weight": 0}, "The weight is a whole number from 1 to 1,000,000."),
        ({"percent": 101}, "The percentage is a whole number from 0 to 100."),
    ],
)
def test_invalid_steps_are_refused_at_the_step_and_nothing_is_written(client, change, message):
    editor = make_editor()
    decision = make_decision(editor)
    services.add_step(decision=decision, title="Проект", by=editor)
    services.add_step(decision=decision, title="Стройка", weight=3, by=editor)
    before = _written(decision)
    logged = LogEntry.objects.count()
    client.force_login(editor)
    rows = _existing_steps(decision, Стройка={"title": "Стройка сквера", **change})
    answer = client.post(
        f"/admin/decisions/decision/{decision.pk}/change/",
        _form(decision, title="Другое название", **_steps(*rows, initial=2)),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert message in page
    # Shown at the row the editor typed in, with what they typed.
    assert page.index(message) > page.index('id="steps-1"')
    assert 'value="Стройка сквера"' in page and 'value="Другое название"' in page
    assert _written(decision) == before
    assert LogEntry.objects.count() == logged


def test_an_invalid_step_on_a_new_decision_writes_no_decision(client):
    editor = make_editor()
    client.force_login(editor)
    data = _form(
        Decision(title="Каток", category="sport"),
        **_steps({"position": 0, "title": "Основание", "weight": 0, "percent": 0}),
    )
    del data["lat"], data["lon"]
    answer = client.post("/admin/decisions/decision/add/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
    assert "The weight is a whole number from 1 to 1,000,000." in answer.content.decode()
    assert not Decision.objects.exists() and not DecisionStep.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"planned_start": "2026-05-02", "planned_finish": "2026-05-01"},
            "The finish cannot be before the start.",
        ),
        ({"lat": "95", "lon": "37"}, "The point is outside the map."),
        ({"lat": "55.7", "lon": ""}, "Give both a latitude and a longitude, or neither."),
    ],
)
def test_the_decisions_rules_are_the_services_shown_at_the_field(client, changes, message):
    editor = make_editor()
    decision = make_decision(editor)
    before = _written(decision)
    client.force_login(editor)
    answer = client.post(
        f"/admin/decisions/decision/{decision.pk}/change/",
        _form(decision, title="Другое название", **changes),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert _written(decision) == before


def test_a_done_decision_keeps_its_steps_but_its_text_may_be_corrected(client):
    editor = make_editor()
    decision = make_decision(editor)
    services.add_step(decision=decision, title="Проект", by=editor)
    services.set_status(decision=decision, status=Status.IN_PROGRESS, by=editor)
    services.set_status(decision=decision, status=Status.DONE, by=editor)
    client.force_login(editor)
    url = f"/admin/decisions/decision/{decision.pk}/change/"
    unchanged = _steps(*_existing_steps(decision), initial=1)
    corrected = client.post(
        url, _form(decision, title="Двор обновлён", **unchanged), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert corrected.status_code == 302
    decision.refresh_from_db()
    assert decision.title == "Двор обновлён"
    before = _written(decision)
    changed = _steps(*_existing_steps(decision, Проект={"percent": 40}), initial=1)
    refused = client.post(
        url, _form(decision, title="Ещё раз", **changed), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 200
    assert "its steps no longer change" in refused.content.decode()
    assert _written(decision) == before


def test_a_refused_save_with_a_photo_shows_only_the_refusal_and_posts_nothing(client):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from activecitizen.decisions.models import DecisionUpdate

    editor = make_editor()
    decision = make_decision(editor)
    client.force_login(editor)
    png = BytesIO()
    Image.new("RGB", (4, 4), "green").save(png, "PNG")
    photo = SimpleUploadedFile("site.png", png.getvalue(), content_type="image/png")
    data = _form(
        decision,
        **_steps({"decision": decision.pk, "position": 0, "title": "Ноль", "weight": 0}),
        **{
            "steps-0-percent": "0",
            "updates-TOTAL_FORMS": "1",
            "updates-0-decision": str(decision.pk),
            "updates-0-text": "Подрядчик вышел на объект",
            "updates-0-photo": photo,
        },
    )
    answer = client.post(
        f"/admin/decisions/decision/{decision.pk}/change/", data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "The weight is a whole number from 1 to 1,000,000." in page
    # The page is built again from the same upload: the photo is not taken for a broken image.
    assert "Upload a valid image" not in page
    assert not DecisionUpdate.objects.exists() and not decision.steps.exists()
