"""Owners' meetings in the admin: created through the service, announced, cancelled and
published by buttons that show the service's refusal, paper ballots entered for a mixed meeting,
ballots never altered, a house administrator kept to their own buildings, and the decision rules
kept by superusers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from activecitizen.accounts.models import User
from activecitizen.house import services
from activecitizen.house.models import AgendaItem, DecisionRule, Meeting, MeetingBallot
from activecitizen.house.tests import house_fixtures as make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def mine():
    building = make.building("ул. Моя, д. 1", premises=4)
    for n, flat in enumerate(building.premises.order_by("number"), start=1):
        make.ownership(flat, name=f"Собственник {n}", owner=make.person() if n < 4 else None)
    return building


@pytest.fixture
def theirs():
    building = make.building("ул. Чужая, д. 2", premises=2)
    for flat in building.premises.all():
        make.ownership(flat, owner=make.person())
    return building


@pytest.fixture
def administrator(client, mine):
    admin = make.house_administrator(mine)
    client.force_login(admin)
    return admin


def url(name: str, *args) -> str:
    return reverse(f"admin:house_{name}", args=args)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def draft(building, by, *, starts=None, days=10, form=Meeting.Form.ELECTRONIC, title="Собрание"):
    starts = starts or timezone.now() + timedelta(days=20)
    return services.create_meeting(
        building=building,
        by=by,
        title=title,
        voting_starts_at=starts,
        voting_ends_at=starts + timedelta(days=days),
        items=[services.AgendaItemInput(title="Председатель"), services.AgendaItemInput("Ремонт")],
        form=form,
    )


def in_voting(building, by, *, started_ago, lasts, form=Meeting.Form.MIXED) -> Meeting:
    starts = timezone.now() - started_ago
    meeting = services.create_meeting(
        building=building,
        by=by,
        title="Собрание в голосовании",
        voting_starts_at=starts,
        voting_ends_at=starts + lasts,
        items=[services.AgendaItemInput(title="Председатель"), services.AgendaItemInput("Ремонт")],
        form=form,
    )
    services.publish_notice(meeting=meeting, by=by, now=starts - timedelta(days=11))
    return services.start_voting(meeting=meeting, now=starts)


def creation_data(building, *, starts, ends, items=("Председатель", "Ремонт подъезда")) -> dict:
    data = {
        "building": building.pk,
        "title": "Годовое собрание",
        "form": Meeting.Form.MIXED,
        "initiator_name": "",
        "place": "Совет дома",
        "voting_starts_at_0": starts.strftime("%Y-%m-%d"),
        "voting_starts_at_1": "09:00:00",
        "voting_ends_at_0": ends.strftime("%Y-%m-%d"),
        "voting_ends_at_1": "21:00:00",
        "items-TOTAL_FORMS": "5",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50",
    }
    for n in range(5):
        data[f"items-{n}-subject"] = "other"
        data[f"items-{n}-title"] = items[n] if n < len(items) else ""
        data[f"items-{n}-proposal"] = ""
        data[f"items-{n}-entrance"] = ""
    data["items-1-subject"] = "1.1"
    return data


# --- Creating ------------------------------------------------------------------------------------


def test_a_house_administrator_creates_a_meeting_with_two_items(client, administrator, mine):
    page = client.get(url("meeting_add"))
    assert page.status_code == 200
    assert "ул. Моя, д. 1" in page.text
    starts = timezone.localdate() + timedelta(days=20)

    response = client.post(
        url("meeting_add"), creation_data(mine, starts=starts, ends=starts + timedelta(days=10))
    )

    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("meeting_change", meeting.pk)
    assert (meeting.building, meeting.number, meeting.status) == (mine, 1, Meeting.Status.DRAFT)
    assert meeting.created_by == administrator
    assert meeting.form == Meeting.Form.MIXED
    assert list(meeting.items.values_list("number", "title", "subject")) == [
        (1, "Председатель", "other"),
        (2, "Ремонт подъезда", "1.1"),
    ]


def test_a_meeting_the_service_refuses_is_a_form_error_and_nothing_is_written(
    client, administrator, mine
):
    starts = timezone.localdate() + timedelta(days=20)
    too_short = creation_data(mine, starts=starts, ends=starts + timedelta(days=3))
    response = client.post(url("meeting_add"), too_short)
    assert response.status_code == 422
    assert "Voting lasts at least 7 days." in response.text
    no_items = creation_data(mine, starts=starts, ends=starts + timedelta(days=10), items=())
    response = client.post(url("meeting_add"), no_items)
    assert response.status_code == 422
    assert "The agenda needs at least one item." in response.text
    assert not Meeting.objects.exists()
    assert not AgendaItem.objects.exists()


def test_a_meeting_cannot_be_created_for_another_building(client, administrator, theirs):
    starts = timezone.localdate() + timedelta(days=20)
    response = client.post(
        url("meeting_add"), creation_data(theirs, starts=starts, ends=starts + timedelta(days=10))
    )
    assert response.status_code == 422  # not among the choices
    assert not Meeting.objects.exists()


# --- The notice, the draft's edits, cancelling ----------------------------------------------------


def test_publishing_the_notice_too_soon_is_refused_with_the_message(client, administrator, mine):
    meeting = draft(mine, administrator, starts=timezone.now() + timedelta(days=5))

    response = client.post(url("meeting_transition", meeting.pk, "publish_notice"), follow=True)

    assert response.status_code == 200
    assert any("at least 10 days before voting starts" in m for m in texts(response))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.DRAFT
    assert meeting.notice_published_at is None
    assert set(meeting.items.values_list("decision_type", flat=True)) == {""}


def test_publishing_the_notice_freezes_the_agenda(client, administrator, mine):
    meeting = draft(mine, administrator)
    page = client.get(url("meeting_change", meeting.pk))
    assert "Publish the notice" in page.text
    assert 'name="items-0-title"' in page.text  # the draft's agenda is editable

    response = client.post(url("meeting_transition", meeting.pk, "publish_notice"), follow=True)

    assert any("is published" in m for m in texts(response))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.NOTICE
    assert set(meeting.items.values_list("decision_type", flat=True)) == {
        "majority_of_participants"
    }
    page = client.get(url("meeting_change", meeting.pk))
    assert page.status_code == 200
    assert "can no longer change" in page.text
    assert 'name="items-0-title"' not in page.text
    assert 'name="voting_starts_at_0"' not in page.text
    assert client.post(url("meeting_change", meeting.pk), {"title": "Другое"}).status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).title == "Собрание"


def test_a_draft_is_edited_and_its_agenda_renumbered(client, administrator, mine):
    meeting = draft(mine, administrator)
    first, second = meeting.items.order_by("number")
    starts = timezone.localtime(meeting.voting_starts_at)
    ends = timezone.localtime(meeting.voting_ends_at)
    data = {
        "title": "Собрание (уточнено)",
        "form": Meeting.Form.ELECTRONIC,
        "initiator_name": "Совет дома",
        "place": "",
        "voting_starts_at_0": starts.strftime("%Y-%m-%d"),
        "voting_starts_at_1": starts.strftime("%H:%M:%S"),
        "voting_ends_at_0": ends.strftime("%Y-%m-%d"),
        "voting_ends_at_1": ends.strftime("%H:%M:%S"),
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "2",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "50",
        "items-0-id": first.pk,
        "items-0-meeting": meeting.pk,
        "items-0-title": first.title,
        "items-0-subject": "other",
        "items-0-DELETE": "on",
        "items-1-id": second.pk,
        "items-1-meeting": meeting.pk,
        "items-1-title": second.title,
        "items-1-subject": "other",
        "items-2-meeting": meeting.pk,
        "items-2-title": "Новый вопрос",
        "items-2-subject": "4",
    }
    response = client.post(url("meeting_change", meeting.pk), data)
    assert response.status_code == 302, response.context["errors"]
    meeting.refresh_from_db()
    assert meeting.title == "Собрание (уточнено)"
    assert list(meeting.items.values_list("number", "title")) == [
        (1, "Ремонт"),
        (2, "Новый вопрос"),
    ]


def test_cancelling_asks_the_reason(client, administrator, mine):
    meeting = draft(mine, administrator)
    assert client.get(url("meeting_cancel", meeting.pk)).status_code == 200
    assert client.post(url("meeting_cancel", meeting.pk), {"reason": ""}).status_code == 422
    response = client.post(url("meeting_cancel", meeting.pk), {"reason": "Дата неудобна"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert meeting.cancelled_reason == "Дата неудобна"
    # Nothing to cancel twice: the service's refusal is shown.
    response = client.post(url("meeting_cancel", meeting.pk), {"reason": "Ещё раз"})
    assert response.status_code == 409
    assert "this cannot be done now" in response.text


# --- Scoping -------------------------------------------------------------------------------------


def test_another_buildings_meeting_is_not_found(client, administrator, mine, theirs):
    own = draft(mine, administrator)
    other = draft(theirs, make.house_administrator(theirs))
    listed = client.get(url("meeting_changelist"))
    assert list(listed.context["cl"].result_list) == [own]
    assert client.get(url("meeting_change", other.pk)).status_code == 404
    assert client.post(url("meeting_transition", other.pk, "publish_notice")).status_code == 404
    assert client.get(url("meeting_cancel", other.pk)).status_code == 404
    assert client.get(url("meeting_paper_ballot", other.pk)).status_code == 404
    assert Meeting.objects.get(pk=other.pk).status == Meeting.Status.DRAFT


# --- Paper ballots -------------------------------------------------------------------------------


def test_a_paper_ballot_is_entered_for_an_owner(client, administrator, mine):
    meeting = in_voting(
        mine, administrator, started_ago=timedelta(days=1), lasts=timedelta(days=10)
    )
    page = client.get(url("meeting_change", meeting.pk))
    assert "Enter a paper ballot" in page.text
    form = client.get(url("meeting_paper_ballot", meeting.pk)).context["form"]
    named_only = next(key for key, o in form.owners.items() if o["name"] == "Собственник 4")

    response = client.post(
        url("meeting_paper_ballot", meeting.pk),
        {"owner": named_only, "item_1": "for", "item_2": "against", "scan_reference": "скан 17"},
    )

    assert response.status_code == 302
    ballot = MeetingBallot.objects.get()
    assert ballot.channel == MeetingBallot.Channel.PAPER
    assert (ballot.owner_name, ballot.scan_reference) == ("Собственник 4", "скан 17")
    assert ballot.decisions == {"1": "for", "2": "against"}
    assert ballot.entered_by == administrator
    # That owner is no longer offered.
    form = client.get(url("meeting_paper_ballot", meeting.pk)).context["form"]
    assert named_only not in dict(form.fields["owner"].choices)


def paper(client, meeting):
    owner = next(iter(client.get(url("meeting_paper_ballot", meeting.pk)).context["form"].owners))
    return client.post(
        url("meeting_paper_ballot", meeting.pk),
        {"owner": owner, "item_1": "for", "item_2": "for", "scan_reference": "скан"},
    )


def test_a_paper_ballot_is_refused_for_an_electronic_meeting(client, administrator, mine):
    meeting = in_voting(
        mine,
        administrator,
        started_ago=timedelta(days=1),
        lasts=timedelta(days=10),
        form=Meeting.Form.ELECTRONIC,
    )
    assert "Enter a paper ballot" not in client.get(url("meeting_change", meeting.pk)).text
    response = paper(client, meeting)
    assert response.status_code == 409
    assert "takes no paper ballots" in response.text
    assert not MeetingBallot.objects.exists()


def test_a_paper_ballot_is_refused_within_48_hours_of_the_end(client, administrator, mine):
    meeting = in_voting(
        mine, administrator, started_ago=timedelta(days=8), lasts=timedelta(days=9, hours=-1)
    )
    response = paper(client, meeting)
    assert response.status_code == 409
    assert "until 48 hours before voting ends" in response.text
    assert not MeetingBallot.objects.exists()


# --- Ballots are never altered -------------------------------------------------------------------


def test_ballots_are_listed_but_never_altered(client, administrator, mine):
    meeting = in_voting(
        mine, administrator, started_ago=timedelta(days=1), lasts=timedelta(days=10)
    )
    owner = meeting.register.filter(owner__isnull=False).first().owner
    ballot = services.cast_meeting_vote(meeting=meeting, user=owner, decisions={1: "for", 2: "for"})
    superuser = User.objects.create_superuser("+79260009999")
    for who in (administrator, superuser):
        client.force_login(who)
        listed = client.get(url("meetingballot_changelist"))
        assert list(listed.context["cl"].result_list) == [ballot]
        page = client.get(url("meetingballot_change", ballot.pk))
        assert page.status_code == 200
        assert 'name="_save"' not in page.text
        posted = client.post(url("meetingballot_change", ballot.pk), {"scan_reference": "x"})
        assert posted.status_code == 403
        assert (
            client.post(url("meetingballot_delete", ballot.pk), {"post": "yes"}).status_code == 403
        )
        assert client.get(url("meetingballot_add")).status_code == 403
    ballot.refresh_from_db()
    assert ballot.scan_reference == ""
    assert ballot.decisions == {"1": "for", "2": "for"}


# --- Decision rules ------------------------------------------------------------------------------


def test_a_superuser_edits_a_decision_rule_and_a_house_administrator_only_looks(
    client, administrator
):
    rule = DecisionRule.objects.get(subject="4")
    assert client.get(url("decisionrule_change", rule.pk)).status_code == 200
    data = {
        "subject": "4",
        "title": rule.title,
        "decision_type": "two_thirds_of_all",
        "effective_from": rule.effective_from.isoformat(),
        "effective_until": "",
    }
    assert client.post(url("decisionrule_change", rule.pk), data).status_code == 403

    client.force_login(User.objects.create_superuser("+79260009998"))
    listed = client.get(url("decisionrule_changelist") + "?decision_type__exact=item_4_5")
    assert [r.subject for r in listed.context["cl"].result_list] == ["4.5"]
    assert client.post(url("decisionrule_change", rule.pk), data).status_code == 302
    rule.refresh_from_db()
    assert rule.decision_type == "two_thirds_of_all"
    # Dates out of order are a form error, not a database error.
    data["effective_until"] = "2000-01-01"
    response = client.post(url("decisionrule_change", rule.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors


def test_an_administrator_posts_an_announcement_to_their_building_only(client, mine, theirs):
    from activecitizen.house.models import Announcement
    from activecitizen.notifications.models import Notification

    admin = make.house_administrator(mine)
    client.force_login(admin)
    url = reverse("admin:house_announcement_add")
    other = client.post(url, {"building": theirs.pk, "title": "Чужое", "text": "Текст"})
    assert other.status_code == 200  # the building is not among the choices
    assert not Announcement.objects.exists()
    answer = client.post(url, {"building": mine.pk, "title": "Отключение воды", "text": "15 мая"})
    assert answer.status_code == 302
    posted = Announcement.objects.get()
    assert (posted.building, posted.created_by) == (mine, admin)
    owners = set(
        mine.premises.filter(ownerships__owner__isnull=False).values_list(
            "ownerships__owner", flat=True
        )
    )
    told = Notification.objects.filter(kind="building_announcement")
    assert set(told.values_list("user_id", flat=True)) == owners
    # Posted once: no editing afterwards.
    change = client.post(
        reverse("admin:house_announcement_change", args=[posted.pk]),
        {"building": mine.pk, "title": "Другое", "text": "Другое"},
    )
    assert change.status_code == 403
    posted.refresh_from_db()
    assert posted.title == "Отключение воды"


def test_an_edit_the_service_refuses_is_shown_and_writes_nothing(client, administrator, mine):
    meeting = draft(mine, administrator)
    first, second = meeting.items.order_by("number")
    starts = timezone.localtime(meeting.voting_starts_at)
    ends = timezone.localtime(meeting.voting_ends_at)
    data = {
        "title": "Другое название",
        "form": Meeting.Form.ELECTRONIC,
        "initiator_name": "Совет дома",
        "place": "",
        "voting_starts_at_0": starts.strftime("%Y-%m-%d"),
        "voting_starts_at_1": starts.strftime("%H:%M:%S"),
        "voting_ends_at_0": ends.strftime("%Y-%m-%d"),
        "voting_ends_at_1": ends.strftime("%H:%M:%S"),
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "2",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "50",
        "items-0-id": first.pk,
        "items-0-meeting": meeting.pk,
        "items-0-title": first.title,
        # Item 4.5 is decided by one entrance's owners, and this building has no entrances.
        "items-0-subject": "4.5",
        "items-1-id": second.pk,
        "items-1-meeting": meeting.pk,
        "items-1-title": second.title,
        "items-1-subject": "other",
    }
    response = client.post(url("meeting_change", meeting.pk), data)
    assert response.status_code == 302, response.context["errors"]
    page = client.get(response["Location"]).content.decode()
    assert "name the entrance" in page
    assert "was changed successfully" not in page
    meeting.refresh_from_db()
    assert meeting.title != "Другое название"
    assert list(meeting.items.values_list("subject", flat=True)) == ["other", "other"]
