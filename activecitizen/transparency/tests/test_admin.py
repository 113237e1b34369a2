"""Staff can read logs and checkpoints in the admin, and nobody can change them there."""

import pytest

from activecitizen.transparency import services
from activecitizen.transparency.models import Checkpoint

pytestmark = pytest.mark.django_db


def test_logs_and_checkpoints_are_shown_read_only(admin_client):
    the_log = services.ensure_log(origin="test.example/poll/9", origin_id="poll-9", kind="poll")
    services.queue_entry(log_id=the_log.pk, data=b"a", ref=1, queued_at=the_log.created_at)
    services.seal(the_log.pk)
    checkpoint = Checkpoint.objects.get()
    assert admin_client.get("/admin/transparency/log/").status_code == 200
    page = admin_client.get(f"/admin/transparency/log/{the_log.pk}/change/")
    assert page.status_code == 200
    the_log.refresh_from_db()
    assert bytes(the_log.root).hex() in page.content.decode()
    shown = admin_client.get(f"/admin/transparency/checkpoint/{checkpoint.pk}/change/")
    assert shown.status_code == 200
    assert "test.example/poll/9" in shown.content.decode()
    assert (
        admin_client.post(f"/admin/transparency/checkpoint/{checkpoint.pk}/delete/").status_code
        == 403
    )
    assert Checkpoint.objects.filter(pk=checkpoint.pk).exists()
