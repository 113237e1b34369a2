"""Journey: a resident votes in their district's poll and sees the receipt, the results and the
points; a resident of another district does not see that poll."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is, sign_in, sign_out
from activecitizen.geo.models import District
from activecitizen.polls.tests.factories import make_poll, make_resident
from activecitizen.transparency.merkle import verify_inclusion
from activecitizen.transparency.notes import Checkpoint, Verifier
from activecitizen.transparency.services import public_key

pytestmark = pytest.mark.browser


def test_a_resident_votes_in_their_district_poll(page):
    home, elsewhere = District.objects.order_by("pk")[:2]
    make_resident("+79161110001", district=home)
    make_resident("+79161110002", district=elsewhere)
    poll = make_poll(
        title="Что поставить во дворе на Тверской?",
        districts=[home],
        questions=[("Что нужнее всего?", ["Детская площадка", "Скамейки и свет", "Велопарковка"])],
        points=20,
    )

    # The resident signs in and finds the poll for their district among the open ones.
    sign_in(page, "+7 916 111-00-01")
    page.goto("/polls/")
    page.get_by_role("link", name=poll.title).click()
    path_is(page, f"/polls/{poll.pk}/")

    # They choose an answer and vote.
    page.get_by_label("Скамейки и свет").check()
    page.locator("main form.ballot button[type=submit]").click()

    # The receipt names their ballot; it is counted (tallied as it is cast here).
    path_is(page, f"/polls/{poll.pk}/receipt/")
    ballot_id = poll.participations.get().ballot_public_id
    expect(page.locator("main")).to_contain_text(ballot_id)
    # Sealed into the poll's public log at once here: the receipt says where, and its proof
    # bundle downloads and proves the ballot is under the log's signed checkpoint.
    expect(page.locator("main")).to_contain_text("включён в журнал под номером 0")
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать файл доказательства").click()
    bundle = json.loads(Path(download.value.path()).read_text())
    assert (bundle["ballot_id"], bundle["index"], bundle["tree_size"]) == (ballot_id, 0, 1)
    checkpoint, _opened = Checkpoint.open(bundle["checkpoint"], Verifier.from_vkey(public_key()))
    assert verify_inclusion(
        0,
        1,
        bytes.fromhex(bundle["leaf_hash"]),
        [bytes.fromhex(h) for h in bundle["inclusion_path"]],
        checkpoint.root,
    )

    # The results show their vote.
    page.goto(f"/polls/{poll.pk}/results/")
    expect(page.locator("main")).to_contain_text("Скамейки и свет")
    expect(page.locator("main")).to_contain_text("100")

    # Their points are credited.
    page.goto("/rewards/points/")
    expect(page.locator("main")).to_contain_text("20")

    # A resident of another district does not see the poll at all.
    sign_out(page)
    sign_in(page, "+7 916 111-00-02")
    page.goto("/polls/")
    expect(page.get_by_role("link", name=poll.title)).to_have_count(0)
    page.goto(f"/polls/{poll.pk}/")
    expect(page.locator("main form.ballot")).to_have_count(0)
