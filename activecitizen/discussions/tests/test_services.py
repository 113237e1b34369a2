"""Who may submit a proposal, when, with what; and moderation: roles, points once, reasons."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from activecitizen.core.errors import DomainError
from activecitizen.discussions import services, uploads
from activecitizen.discussions.models import Proposal
from activecitizen.discussions.tests.factories import (
    PNG_BYTES,
    districts,
    make_moderator,
    make_person,
    make_project,
    pdf_file,
    proposal,
)
from activecitizen.notifications.models import Notification
from activecitizen.rewards.models import LedgerEntry, PointsAccount

pytestmark = pytest.mark.django_db


def submit(project, user, **fields):
    values = {"participant_type": "resident", "stance": "support", "text": "Нужна школа."}
    return services.submit_proposal(project=project, user=user, **{**values, **fields})


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    assert Proposal.objects.count() == 0, "nothing is written when a proposal is refused"
    return caught.value


def test_a_resident_of_the_territory_submits_a_pending_proposal():
    home, _elsewhere = districts()
    project = make_project(district=home)
    person = make_person("+79161110001", home=home)
    made = submit(project, person)
    assert (made.status, made.author, made.participant_verified) == ("pending", person, False)


def test_a_worker_of_the_territory_may_submit_as_worker_but_not_as_resident():
    home, elsewhere = districts()
    project = make_project(district=home)
    person = make_person("+79161110001", home=elsewhere, work=home)
    error = refused(lambda: submit(project, person))
    assert (error.status, error.code) == (403, "not_entitled")
    assert submit(project, person, participant_type="worker").participant_type == "worker"


def test_a_resident_of_another_district_is_not_entitled():
    home, elsewhere = districts()
    project = make_project(district=home)
    person = make_person("+79161110002", home=elsewhere)
    with translation.override("en"):
        error = refused(lambda: submit(project, person))
    assert (error.status, error.code, error.field) == (403, "not_entitled", "participant_type")
    assert "not on the territory" in str(error.message)


def test_a_rights_holder_needs_a_document_reference():
    home, elsewhere = districts()
    project = make_project(district=home)
    person = make_person("+79161110003", home=elsewhere)
    error = refused(lambda: submit(project, person, participant_type="rights_holder"))
    assert (error.status, error.code, error.field) == (403, "not_entitled", "document_reference")
    error = refused(
        lambda: submit(project, person, participant_type="deputy", document_reference="  ")
    )
    assert error.code == "not_entitled"
    made = submit(project, person, participant_type="rights_holder", document_reference="ЕГРН 77/1")
    assert made.document_reference == "ЕГРН 77/1"


@pytest.mark.parametrize("stage", ["notice", "exposition", "protocol", "conclusion"])
def test_outside_the_collection_window_is_409(stage):
    home, _ = districts()
    project = make_project(stage=stage, district=home)
    person = make_person("+79161110001", home=home)
    error = refused(lambda: submit(project, person))
    assert (error.status, error.code) == (409, "not_collecting")


def test_an_unpublished_project_takes_no_proposals():
    home, _ = districts()
    project = make_project(district=home, is_published=False)
    error = refused(lambda: submit(project, make_person("+79161110001", home=home)))
    assert error.code == "not_collecting"


def test_text_too_long_or_empty_is_422():
    home, _ = districts()
    project = make_project(district=home)
    person = make_person("+79161110001", home=home)
    error = refused(lambda: submit(project, person, text="а" * 5001))
    assert (error.status, error.code, error.field) == (422, "too_long", "text")
    error = refused(lambda: submit(project, person, text="  \n "))
    assert (error.status, error.field) == (422, "text")
    assert submit(project, person, text="а" * 5000).text == "а" * 5000


@pytest.mark.parametrize(
    "name,content",
    [
        ("virus.exe", b"MZ\x90\x00"),
        ("plan.pdf", b"MZ\x90\x00 not a pdf"),
        ("photo.png", b"%PDF-1.4 a pdf named png"),
        ("notes.txt", b"%PDF-1.4"),
        ("image.jpg", b"\x89PNG\r\n\x1a\n"),
        ("empty.pdf", b""),
    ],
)
def test_an_attachment_that_is_not_a_pdf_or_image_is_422(name, content):
    home, _ = districts()
    project = make_project(district=home)
    person = make_person("+79161110001", home=home)
    upload = SimpleUploadedFile(name, content)
    error = refused(lambda: submit(project, person, attachment=upload))
    assert (error.status, error.field) == (422, "attachment")


def test_an_oversize_attachment_is_422_and_a_good_one_is_kept(settings):
    home, _ = districts()
    project = make_project(district=home)
    person = make_person("+79161110001", home=home)
    big = pdf_file(size=uploads.ATTACHMENT_MAX_BYTES + 1)
    error = refused(lambda: submit(project, person, attachment=big))
    assert (error.code, error.field) == ("file_too_large", "attachment")
    made = submit(project, person, attachment=SimpleUploadedFile("Фото двора.PNG", PNG_BYTES))
    assert made.attachment.name.endswith(".png")
    assert made.attachment.read() == PNG_BYTES


def test_more_than_five_proposals_an_hour_is_429():
    home, _ = districts()
    project = make_project(district=home)
    person = make_person("+79161110001", home=home)
    for n in range(5):
        submit(project, person, text=f"Предложение {n}")
    with pytest.raises(DomainError) as caught:
        submit(project, person, text="Шестое")
    assert (caught.value.status, caught.value.code) == (429, "rate_limited")
    assert Proposal.objects.count() == 5


def test_a_document_must_be_a_pdf_or_image_within_20_mb():
    project = make_project()
    with pytest.raises(DomainError) as caught:
        services.add_document(
            project=project, title="План", file=SimpleUploadedFile("plan.pdf", b"<html>")
        )
    assert caught.value.status == 422
    with pytest.raises(DomainError):
        services.add_document(
            project=project, title="План", file=pdf_file(size=uploads.DOCUMENT_MAX_BYTES + 1)
        )
    assert project.documents.count() == 0
    document = services.add_document(project=project, title="План", file=pdf_file())
    assert document.file.read().startswith(b"%PDF-")


# --- Moderation -------------------------------------------------------------------------------


def balance(user) -> int:
    account = PointsAccount.objects.filter(pk=user.pk).first()
    return account.balance if account else 0


def test_only_moderators_publish_reject_or_verify():
    home, _ = districts()
    project = make_project(district=home)
    author = make_person("+79161110001", home=home)
    made = proposal(project, author)
    stranger = make_person("+79161110009", home=home)
    for call in (
        lambda: services.publish_proposal(proposal=made, by=stranger),
        lambda: services.reject_proposal(proposal=made, by=stranger, reason="нет"),
        lambda: services.verify_participant(proposal=made, by=stranger),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.status == 403
    made.refresh_from_db()
    assert made.status == "pending" and not made.participant_verified
    assert balance(author) == 0


def test_publishing_credits_ten_points_once_and_tells_the_author():
    home, _ = districts()
    project = make_project(district=home)
    author = make_person("+79161110001", home=home)
    made = proposal(project, author)
    moderator = make_moderator()
    services.publish_proposal(proposal=made, by=moderator)
    with pytest.raises(DomainError) as caught:
        services.publish_proposal(proposal=made, by=moderator)
    assert caught.value.code == "already_moderated"
    made.refresh_from_db()
    assert (made.status, made.moderated_by) == ("published", moderator)
    assert balance(author) == 10
    assert LedgerEntry.objects.filter(reference=f"proposal:{made.pk}").count() == 1
    assert Notification.objects.filter(user=author, kind="proposal_published").count() == 1


def test_a_rights_holder_is_published_only_once_verified():
    home, elsewhere = districts()
    project = make_project(district=home)
    author = make_person("+79161110001", home=elsewhere)
    made = proposal(project, author, participant_type="rights_holder", document_reference="ЕГРН")
    moderator = make_moderator()
    with pytest.raises(DomainError) as caught:
        services.publish_proposal(proposal=made, by=moderator)
    assert caught.value.code == "not_verified"
    services.verify_participant(proposal=made, by=moderator)
    services.publish_proposal(proposal=made, by=moderator)
    made.refresh_from_db()
    assert made.participant_verified and made.status == "published"


def test_rejection_needs_a_reason_the_author_is_told():
    home, _ = districts()
    project = make_project(district=home)
    author = make_person("+79161110001", home=home)
    made = proposal(project, author)
    moderator = make_moderator()
    with pytest.raises(DomainError) as caught:
        services.reject_proposal(proposal=made, by=moderator, reason="  ")
    assert (caught.value.status, caught.value.field) == (422, "reason")
    services.reject_proposal(proposal=made, by=moderator, reason="Не по теме обсуждения.")
    made.refresh_from_db()
    assert (made.status, made.rejection_reason) == ("rejected", "Не по теме обсуждения.")
    assert balance(author) == 0
    notice = Notification.objects.get(user=author, kind="proposal_rejected")
    assert notice.params["reason"] == "Не по теме обсуждения."
