"""Journey: the staff member responsible for a park and a library goes from the rankings to
their dashboard and reads each facility's index, ratings, aspects, trend and comments (the
published ones, and how many wait for a moderator); a resident who is not staff is refused."""

import pytest
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is, sign_in, sign_out, switch_language
from activecitizen.pulse import services
from activecitizen.pulse.models import Category
from activecitizen.pulse.tests.factories import make_facility, make_moderator, make_resident

pytestmark = pytest.mark.browser


def test_the_responsible_staff_member_reads_their_dashboard(page):
    park = make_facility("Парк «Сокольники»")
    library = make_facility("Библиотека № 1", category=Category.LIBRARY)
    other = make_facility("Парк Горького")
    staff = make_resident("+79161150007", is_staff=True)
    park.responsible.add(staff)
    library.responsible.add(staff)
    moderator = make_moderator()
    # The park: 3, 4 and 5 with cleanliness 4 and 5; the 3's comment is published, the 4's waits.
    published = services.rate_facility(
        facility_id=park.pk,
        user=make_resident(),
        score=3,
        aspects={"cleanliness": 4},
        comment="Чисто, но мало скамеек",
    )
    services.moderate_comment(rating=published, decision="publish", by=moderator)
    services.rate_facility(
        facility_id=park.pk,
        user=make_resident(),
        score=4,
        aspects={"cleanliness": 5},
        comment="Нужен ещё один туалет",
    )
    services.rate_facility(facility_id=park.pk, user=make_resident(), score=5)
    # Another park (not theirs) rated 2: the parks' mean is 14 / 4 = 3.5.
    services.rate_facility(facility_id=other.pk, user=make_resident(), score=2)
    make_resident("+79161150001")

    page.goto("/")
    switch_language(page, "en")
    sign_in(page, "+7 916 115-00-07")
    page.goto("/pulse/")
    page.get_by_role("link", name="My facilities").click()
    path_is(page, "/pulse/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My facilities")
    expect(page.get_by_role("heading", name="Парк Горького")).to_have_count(0)

    # The park: (20 · 3.5 + 12) / 23 = 3.565…, three ratings, one comment waiting.
    park_card = page.get_by_role("region", name="Парк «Сокольники»")
    expect(park_card).to_contain_text("Index 3.57")
    expect(park_card).to_contain_text("Ratings 3")
    expect(park_card).to_contain_text("Comments waiting for a moderator 1")
    cleanliness = park_card.get_by_role("row").filter(has_text="Cleanliness")
    expect(cleanliness.get_by_role("cell").nth(0)).to_contain_text("4.50")
    expect(cleanliness.get_by_role("cell").nth(1)).to_have_text("2")
    this_month = park_card.get_by_role("region", name="The last 12 months").get_by_role("row")
    expect(this_month.last.get_by_role("cell")).to_have_text(["4.00", "3"])
    expect(park_card.get_by_role("listitem")).to_have_count(1)
    expect(park_card.get_by_role("listitem")).to_contain_text("Чисто, но мало скамеек")
    expect(park_card).not_to_contain_text("Нужен ещё один туалет")

    # The library has no ratings: the index is the prior, 3.00, and there are no comments.
    library_card = page.get_by_role("region", name="Библиотека № 1")
    expect(library_card).to_contain_text("Index 3.00")
    expect(library_card).to_contain_text("Ratings 0")
    expect(library_card).to_contain_text("No published comments yet.")

    # The facility's name leads to its public page.
    park_card.get_by_role("link", name="Парк «Сокольники»").click()
    path_is(page, f"/pulse/{park.pk}/")
    sign_out(page)

    # A resident is refused, and finds no link to the dashboard.
    sign_in(page, "+7 916 115-00-01")
    page.goto("/pulse/")
    expect(page.get_by_role("link", name="Парк «Сокольники»")).to_be_visible()
    expect(page.get_by_role("link", name="My facilities")).to_have_count(0)
    answer = page.goto("/pulse/dashboard/")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not open this page")
    expect(page.locator("main")).not_to_contain_text("Comments waiting for a moderator")
