"""The shop in the admin: city staff keep every partner's catalogue, a partner's manager only
their own; rewards, issue points and campaigns are validated; promo codes are uploaded with a
report; orders are looked at and prepared, never edited."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from activecitizen.accounts.models import User
from activecitizen.core.errors import DomainError
from activecitizen.notifications.models import Notification
from activecitizen.rewards import services
from activecitizen.rewards.admin import CampaignAdmin
from activecitizen.rewards.models import (
    Campaign,
    IssuePoint,
    Order,
    OrderEvent,
    Partner,
    PartnerMember,
    PointsAccount,
    PromoCode,
    Reward,
    Stock,
)
from activecitizen.rewards.tests import shop_staff_factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def shop():
    """Two partners, each with an issue point, a reward in stock and a manager."""
    theatre = make.partner("Театр «Проба»")
    museum = make.partner("Музей «Чужой»")
    theatre_point = make.point(theatre, "Касса театра")
    museum_point = make.point(museum, "Касса музея", "Тверской")
    return {
        "theatre": theatre,
        "museum": museum,
        "theatre_point": theatre_point,
        "museum_point": museum_point,
        "ticket": make.reward(theatre, "Билет на «Чайку»", stock={theatre_point: 5}),
        "museum_ticket": make.reward(museum, "Билет в музей", stock={museum_point: 3}),
        "manager": make.member(theatre),
    }


def url(name: str, *args) -> str:
    return reverse(f"admin:rewards_{name}", args=args)


def reward_form(partner: Partner, **overrides) -> dict:
    """A reward's add/change form as the browser posts it, with an empty stock inline."""
    data = {
        "partner": partner.pk,
        "title": "Билет на «Ревизора»",
        "description": "",
        "category": Reward.Category.TICKETS,
        "price": 300,
        "delivery": Reward.Delivery.PICK_UP,
        "voucher_valid_days": 14,
        "is_published": "on",
        "per_person_limit": "",
        "sale_starts_at_0": "",
        "sale_starts_at_1": "",
        "sale_ends_at_0": "",
        "sale_ends_at_1": "",
        "min_status": "",
        "campaign": "",
        "stock-TOTAL_FORMS": 0,
        "stock-INITIAL_FORMS": 0,
        "stock-MIN_NUM_FORMS": 0,
        "stock-MAX_NUM_FORMS": 1000,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def with_stock(data: dict, *rows: tuple[IssuePoint, int]) -> dict:
    data = dict(data)
    data["stock-TOTAL_FORMS"] = len(rows)
    for i, (where, quantity) in enumerate(rows):
        data[f"stock-{i}-issue_point"] = where.pk
        data[f"stock-{i}-quantity"] = quantity
    return data


def errors_of(response) -> str:
    """Every error the admin form and its inlines show, as text."""
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    texts = [str(e) for errors in form.errors.values() for e in errors]
    for formset in response.context.get("inline_admin_formsets", []):
        texts += [str(e) for e in formset.formset.non_form_errors()]
        texts += [str(e) for f in formset.formset.errors for es in f.values() for e in es]
    return " | ".join(texts)


# --- Pages load -------------------------------------------------------------------------------


SHOP_MODELS = ["partner", "issuepoint", "reward", "campaign", "order", "orderevent", "promocode"]


def test_every_shop_page_loads_for_a_superuser(client, shop):
    fan = make.person()
    make.fund(fan, 1000)
    placed = services.place_order(
        user=fan, reward_id=shop["ticket"].pk, issue_point_id=shop["theatre_point"].pk
    ).order
    campaign = Campaign.objects.create(
        title="Миллион призов",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timezone.timedelta(days=5),
        qualifying_references="poll:1",
    )
    client.force_login(make.superuser())
    for model in [*SHOP_MODELS, "donation"]:
        assert client.get(url(f"{model}_changelist")).status_code == 200, model
    for model in ["partner", "issuepoint", "reward", "campaign"]:
        assert client.get(url(f"{model}_add")).status_code == 200, model
    assert client.get(url("partner_change", shop["theatre"].pk)).status_code == 200
    assert client.get(url("issuepoint_change", shop["theatre_point"].pk)).status_code == 200
    assert client.get(url("reward_change", shop["ticket"].pk)).status_code == 200
    assert client.get(url("campaign_change", campaign.pk)).status_code == 200
    order_page = client.get(url("order_change", placed.pk))
    assert order_page.status_code == 200
    assert placed.voucher_display in order_page.content.decode()
    event = OrderEvent.objects.get(order=placed)
    assert client.get(url("orderevent_change", event.pk)).status_code == 200


def test_a_manager_sees_and_keeps_only_their_partners_rows(client, shop):
    client.force_login(shop["manager"])
    rewards = client.get(url("reward_changelist"))
    assert rewards.status_code == 200
    assert [r.title for r in rewards.context["cl"].result_list] == ["Билет на «Чайку»"]
    points = client.get(url("issuepoint_changelist"))
    assert [p.name for p in points.context["cl"].result_list] == ["Касса театра"]
    partners = client.get(url("partner_changelist"))
    assert [p.name for p in partners.context["cl"].result_list] == ["Театр «Проба»"]
    assert client.get(url("order_changelist")).status_code == 200
    assert client.get(url("promocode_changelist")).status_code == 200
    # Their own pages open; the other partner's are as absent as rows that do not exist.
    assert client.get(url("reward_add")).status_code == 200
    assert client.get(url("issuepoint_add")).status_code == 200
    assert client.get(url("reward_change", shop["ticket"].pk)).status_code == 200
    assert client.get(url("issuepoint_change", shop["theatre_point"].pk)).status_code == 200
    assert client.get(url("partner_change", shop["theatre"].pk)).status_code == 200
    for page in [
        url("reward_change", shop["museum_ticket"].pk),
        url("issuepoint_change", shop["museum_point"].pk),
        url("partner_change", shop["museum"].pk),
        url("reward_upload_codes", shop["museum_ticket"].pk),
        url("partner_report", shop["museum"].pk),
    ]:
        assert client.get(page).status_code == 404, page
    # Campaigns and the people on a partner's staff are the city's business, even for a
    # manager given the campaign permissions by mistake.
    assert client.get(url("campaign_changelist")).status_code == 403
    assert client.get(url("partner_add")).status_code == 403
    shop["manager"].user_permissions.add(
        *Permission.objects.filter(codename__in=["view_campaign", "add_campaign"])
    )
    client.force_login(User.objects.get(pk=shop["manager"].pk))
    assert client.get(url("campaign_add")).status_code == 403


def test_a_manager_chooses_only_among_their_partners_and_points(client, shop):
    client.force_login(shop["manager"])
    form = client.get(url("reward_add")).context["adminform"].form
    assert list(form.fields["partner"].queryset) == [shop["theatre"]]
    change = client.get(url("reward_change", shop["ticket"].pk))
    (stock,) = change.context["inline_admin_formsets"]
    assert list(stock.formset.form.base_fields["issue_point"].queryset) == [shop["theatre_point"]]
    # The reward stays with its partner, whatever the form says.
    assert "partner" not in change.context["adminform"].form.fields


def test_a_manager_cannot_add_a_reward_for_another_partner(client, shop):
    client.force_login(shop["manager"])
    response = client.post(url("reward_add"), reward_form(shop["museum"]))
    assert "Select a valid choice" in errors_of(response)
    assert not Reward.objects.filter(title="Билет на «Ревизора»").exists()
    # Nor stock at another partner's point for their own reward.
    data = with_stock(reward_form(shop["theatre"]), (shop["museum_point"], 4))
    response = client.post(url("reward_add"), data)
    assert "Select a valid choice" in errors_of(response)
    assert not Reward.objects.filter(title="Билет на «Ревизора»").exists()


def test_a_manager_adds_a_reward_with_stock_and_cannot_move_it(client, shop):
    client.force_login(shop["manager"])
    data = with_stock(reward_form(shop["theatre"]), (shop["theatre_point"], 7))
    response = client.post(url("reward_add"), data)
    assert response.status_code == 302, errors_of(response)
    added = Reward.objects.get(title="Билет на «Ревизора»")
    assert added.partner == shop["theatre"]
    assert Stock.objects.get(reward=added).quantity == 7
    # A change naming the other partner changes the title, never the partner.
    change = reward_form(shop["museum"], title="Билет на «Ревизора» (утро)")
    change.update({"stock-TOTAL_FORMS": 0})
    response = client.post(url("reward_change", added.pk), change)
    assert response.status_code == 302, errors_of(response)
    added.refresh_from_db()
    assert (added.title, added.partner) == ("Билет на «Ревизора» (утро)", shop["theatre"])


def test_units_ordered_while_the_stock_page_was_open_stay_ordered(client, shop):
    client.force_login(shop["manager"])
    ticket, desk = shop["ticket"], shop["theatre_point"]
    page = client.get(url("reward_change", ticket.pk))
    (stock,) = page.context["inline_admin_formsets"]
    row = stock.formset.forms[0]
    assert row.initial["quantity"] == 5
    assert 'name="initial-stock-0-quantity" value="5"' in page.content.decode()
    fan = make.person()
    make.fund(fan, 1000)
    services.place_order(user=fan, reward_id=ticket.pk, issue_point_id=desk.pk)  # 5 → 4
    data = reward_form(shop["theatre"], title=ticket.title, price=ticket.price)
    data.update(
        {
            "stock-TOTAL_FORMS": 1,
            "stock-INITIAL_FORMS": 1,
            "stock-0-id": row.instance.pk,
            "stock-0-reward": ticket.pk,
            "stock-0-issue_point": desk.pk,
            "initial-stock-0-quantity": 5,  # what the page showed
            "stock-0-quantity": 8,  # the manager adds three units to the five shown
        }
    )
    response = client.post(url("reward_change", ticket.pk), data)
    assert response.status_code == 302, errors_of(response)
    assert Stock.objects.get(reward=ticket).quantity == 7
    # Taking away more than is left leaves none, never fewer than none.
    services.place_order(user=fan, reward_id=ticket.pk, issue_point_id=desk.pk)  # 7 → 6
    data.update({"initial-stock-0-quantity": 7, "stock-0-quantity": 0})
    response = client.post(url("reward_change", ticket.pk), data)
    assert response.status_code == 302, errors_of(response)
    assert Stock.objects.get(reward=ticket).quantity == 0


def test_city_editors_see_every_partner(client, shop):
    client.force_login(make.editor())
    rewards = client.get(url("reward_changelist"))
    assert {r.title for r in rewards.context["cl"].result_list} == {
        "Билет на «Чайку»",
        "Билет в музей",
    }
    assert client.get(url("reward_change", shop["museum_ticket"].pk)).status_code == 200
    assert client.get(url("campaign_add")).status_code == 200


def test_auditors_look_at_everything_and_change_nothing(client, shop):
    campaign = Campaign.objects.create(
        title="Миллион призов",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timezone.timedelta(days=5),
        qualifying_references="poll:1",
    )
    Reward.objects.filter(pk=shop["ticket"].pk).update(campaign=campaign)
    client.force_login(make.with_role(make.person(is_staff=True), "auditor"))
    page = client.get(url("campaign_change", campaign.pk))
    assert page.status_code == 200
    assert "Билет на «Чайку» (Театр «Проба»)" in page.content.decode()
    assert client.get(url("reward_change", shop["museum_ticket"].pk)).status_code == 200
    assert client.get(url("reward_add")).status_code == 403
    assert client.get(url("campaign_add")).status_code == 403
    client.post(url("reward_change", shop["ticket"].pk), reward_form(shop["theatre"], price=1))
    assert Reward.objects.get(pk=shop["ticket"].pk).price == 100


def test_sold_out_is_shown_in_the_list(client, shop):
    make.reward(shop["theatre"], "Билет на «Три сестры»", stock={shop["theatre_point"]: 0})
    client.force_login(make.superuser())
    listing = client.get(url("reward_changelist"), {"q": "сестры"}).content.decode()
    assert "sold out" in listing
    listing = client.get(url("reward_changelist"), {"q": "Чайку"}).content.decode()
    assert "sold out" not in listing


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"category": "charity", "delivery": "pick_up"},
            "A charity reward is received as a donation",
        ),
        ({"category": "tickets", "delivery": "donation"}, "A donation belongs to the charity"),
        ({"category": "charity", "delivery": "donation"}, "Only a charity (NGO) partner"),
        ({"category": "promo_codes", "delivery": "pick_up"}, "e-promo codes category"),
        (
            {"delivery": "promo_code", "needs_preparation": "on"},
            "Only a reward picked up at an issue point is prepared",
        ),
        (
            {
                "sale_starts_at_0": "2026-05-02",
                "sale_starts_at_1": "10:00",
                "sale_ends_at_0": "2026-05-01",
                "sale_ends_at_1": "10:00",
            },
            "The sale ends before it starts",
        ),
    ],
)
def test_a_reward_that_contradicts_itself_is_refused(client, shop, overrides, message):
    client.force_login(make.superuser())
    response = client.post(url("reward_add"), reward_form(shop["theatre"], **overrides))
    assert message in errors_of(response)
    assert not Reward.objects.filter(title="Билет на «Ревизора»").exists()


def test_a_charity_takes_donations(client, shop):
    charity = make.partner("Фонд «Пробный»", kind=Partner.Kind.CHARITY)
    client.force_login(make.superuser())
    data = reward_form(charity, category="charity", delivery="donation", title="Помочь фонду")
    response = client.post(url("reward_add"), data)
    assert response.status_code == 302, errors_of(response)
    assert Reward.objects.get(title="Помочь фонду").partner == charity


def test_stock_belongs_to_the_rewards_partner_and_is_never_negative(client, shop):
    client.force_login(make.superuser())
    data = with_stock(reward_form(shop["theatre"]), (shop["museum_point"], 4))
    assert "belongs to another partner" in errors_of(client.post(url("reward_add"), data))
    data = with_stock(reward_form(shop["theatre"]), (shop["theatre_point"], -1))
    assert "greater than or equal to 0" in errors_of(client.post(url("reward_add"), data))
    data = with_stock(
        reward_form(shop["theatre"], delivery="promo_code"), (shop["theatre_point"], 4)
    )
    assert "Only a reward picked up" in errors_of(client.post(url("reward_add"), data))
    assert not Reward.objects.filter(title="Билет на «Ревизора»").exists()


def issue_point_form(partner: Partner, district, lat, lon) -> dict:
    return {
        "partner": partner.pk,
        "name": "Касса №2",
        "address": "ул. Пробная, 2",
        "opening_hours": "Ежедневно 10:00–20:00",
        "is_active": "on",
        "district": district.pk,
        "lat": lat,
        "lon": lon,
    }


def test_an_issue_point_lies_in_its_district(client, shop):
    client.force_login(shop["manager"])
    marino, lat, lon = make.inside("Марьино")
    tverskoy, _lat, _lon = make.inside("Тверской")
    add = url("issuepoint_add")
    wrong = client.post(add, issue_point_form(shop["theatre"], tverskoy, lat, lon))
    assert f"The point lies in {marino.name}, not in {tverskoy.name}" in errors_of(wrong)
    away = client.post(add, issue_point_form(shop["theatre"], marino, 59.9, 30.3))
    assert "outside the city" in errors_of(away)
    assert not IssuePoint.objects.filter(name="Касса №2").exists()
    right = client.post(add, issue_point_form(shop["theatre"], marino, lat, lon))
    assert right.status_code == 302, errors_of(right)
    assert IssuePoint.objects.get(name="Касса №2").partner == shop["theatre"]


def test_a_campaign_names_its_activities_and_shows_who_qualifies(client, shop):
    client.force_login(make.superuser())
    voter, other = make.person(), make.person()
    make.fund(voter, 20, key="poll:12:voter")
    make.fund(other, 20, key="poll:12:other")
    data = {
        "title": "Миллион призов",
        "description": "",
        "starts_at_0": "2026-05-01",
        "starts_at_1": "00:00",
        "ends_at_0": "2026-07-01",
        "ends_at_1": "00:00",
        "qualifying_references": "poll:1\nопрос 12\npoll-3",
        "per_person_limit": 2,
        "rewards": [shop["ticket"].pk],
    }
    response = client.post(url("campaign_add"), data)
    assert 'like "poll:12": опрос 12, poll-3' in errors_of(response)
    response = client.post(
        url("campaign_add"), {**data, "ends_at_0": "2026-04-01", "qualifying_references": "x:1"}
    )
    assert "The campaign ends before it starts" in errors_of(response)
    assert not Campaign.objects.exists()

    response = client.post(url("campaign_add"), {**data, "qualifying_references": "poll:1\n"})
    assert response.status_code == 302, errors_of(response)
    campaign = Campaign.objects.get()
    assert campaign.references == ["poll:1"]
    assert list(campaign.rewards.all()) == [shop["ticket"]]
    page = client.get(url("campaign_change", campaign.pk))
    assert page.context["adminform"].form.fields["rewards"].initial == [shop["ticket"].pk]
    # Both people credited for poll:1 qualify; the campaign's own page says how many.
    assert CampaignAdmin(Campaign, admin.site).qualifying_people(campaign) == "2"

    # Taking the reward out of the campaign frees it.
    data.update(qualifying_references="poll:1", rewards=[])
    response = client.post(url("campaign_change", campaign.pk), data)
    assert response.status_code == 302, errors_of(response)
    assert not campaign.rewards.exists()


# --- Promo codes ---------------------------------------------------------------------------------


def test_a_manager_uploads_codes_and_sees_what_became_of_each_line(client, shop):
    cinema_code = make.reward(
        shop["theatre"], "Промокод", delivery="promo_code", category="promo_codes"
    )
    PromoCode.objects.create(reward=cinema_code, code="OLD-1")
    client.force_login(shop["manager"])
    upload = url("reward_upload_codes", cinema_code.pk)
    assert client.get(upload).status_code == 200
    text = "NEW-1\nNEW-2\n\nNEW-1\nOLD-1\nhas space\n" + "X" * 101
    response = client.post(upload, {"codes": text})
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.added, report.duplicates) == (2, 2)
    assert [line for line, _why in report.rejected] == [6, 7]
    page = response.content.decode()
    assert "2 codes added" in page and "2 lines rejected" in page
    assert set(PromoCode.objects.values_list("code", flat=True)) == {"OLD-1", "NEW-1", "NEW-2"}

    codes_file = SimpleUploadedFile("codes.txt", "\ufeffFILE-1\r\nFILE-2\r\n".encode())
    response = client.post(upload, {"codes": "", "file": codes_file})
    assert response.context["report"].added == 2
    assert PromoCode.objects.filter(code__startswith="FILE-").count() == 2
    latin1 = SimpleUploadedFile("codes.txt", "CAFÉ-1".encode("latin-1"))
    response = client.post(upload, {"codes": "", "file": latin1})
    assert response.status_code == 422
    assert "not UTF-8" in response.content.decode()
    assert client.post(upload, {"codes": "  \n"}).status_code == 422
    with_nul = SimpleUploadedFile("codes.txt", b"NUL-1\x00\nNUL-2\n")
    response = client.post(upload, {"codes": "", "file": with_nul})
    assert response.status_code == 422 and "NUL bytes" in response.content.decode()
    assert not PromoCode.objects.filter(code__startswith="NUL-").exists()


def test_codes_go_only_to_a_promo_code_reward_of_ones_own_partner(client, shop):
    client.force_login(shop["manager"])
    response = client.post(url("reward_upload_codes", shop["ticket"].pk), {"codes": "A-1"})
    assert response.status_code == 422
    assert "not given as promo codes" in response.content.decode()
    other = make.reward(shop["museum"], "Промокод музея", delivery="promo_code")
    assert client.post(url("reward_upload_codes", other.pk), {"codes": "A-1"}).status_code == 404
    assert not PromoCode.objects.exists()
    # A cashier is not staff: the admin does not open for them.
    cashier = make.member(shop["theatre"], PartnerMember.Role.CASHIER)
    client.force_login(cashier)
    response = client.post(url("reward_upload_codes", other.pk), {"codes": "A-1"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_only_codes_nobody_has_got_are_taken_back(client, shop):
    codes = make.reward(shop["theatre"], "Промокод", delivery="promo_code", category="promo_codes")
    PromoCode.objects.create(reward=codes, code="FREE-1")
    PromoCode.objects.create(reward=codes, code="SOLD-1")
    fan = make.person()
    make.fund(fan, 500)
    services.place_order(user=fan, reward_id=codes.pk)
    sold = PromoCode.objects.get(order__isnull=False)
    client.force_login(shop["manager"])
    every = list(PromoCode.objects.values_list("pk", flat=True))
    response = client.post(
        url("promocode_changelist"),
        {"action": "delete_free_codes", "_selected_action": every},
    )
    assert response.status_code == 302
    assert list(PromoCode.objects.all()) == [sold]
    assert client.post(url("promocode_delete", sold.pk), {"post": "yes"}).status_code == 403
    assert PromoCode.objects.filter(pk=sold.pk).exists()


# --- Orders --------------------------------------------------------------------------------------


@pytest.fixture
def orders(shop):
    fan = make.person("+79161112233")
    make.fund(fan, 10_000)
    prepared = make.reward(
        shop["theatre"], "Экскурсия", needs_preparation=True, stock={shop["theatre_point"]: 3}
    )
    ready = services.place_order(
        user=fan, reward_id=shop["ticket"].pk, issue_point_id=shop["theatre_point"].pk
    ).order
    reserved = services.place_order(
        user=fan, reward_id=prepared.pk, issue_point_id=shop["theatre_point"].pk
    ).order
    theirs = services.place_order(
        user=fan, reward_id=shop["museum_ticket"].pk, issue_point_id=shop["museum_point"].pk
    ).order
    return {"fan": fan, "ready": ready, "reserved": reserved, "theirs": theirs}


def test_orders_are_found_by_voucher_typed_as_printed_or_by_phone(client, shop, orders):
    client.force_login(shop["manager"])
    code = orders["ready"].voucher_display.lower()
    found = client.get(url("order_changelist"), {"q": code}).context["cl"].result_list
    assert list(found) == [orders["ready"]]
    found = client.get(url("order_changelist"), {"q": "8 916 111-22-33"}).context["cl"].result_list
    assert set(found) == {orders["ready"], orders["reserved"]}  # not the museum's
    other = orders["theirs"].voucher_code
    assert not client.get(url("order_changelist"), {"q": other}).context["cl"].result_list
    assert client.get(url("order_change", orders["theirs"].pk)).status_code == 404
    events = client.get(url("orderevent_changelist")).context["cl"].result_list
    assert {e.order_id for e in events} == {orders["ready"].pk, orders["reserved"].pk}


def test_nobody_edits_orders_or_their_events(client, shop, orders):
    client.force_login(make.superuser())
    order = orders["ready"]
    client.post(url("order_change", order.pk), {"status": "issued", "price": 1})
    order.refresh_from_db()
    assert (order.status, order.price) == ("ready", 100)
    assert client.post(url("order_delete", order.pk), {"post": "yes"}).status_code == 403
    event = OrderEvent.objects.filter(order=order).first()
    assert client.post(url("orderevent_delete", event.pk), {"post": "yes"}).status_code == 403
    assert client.get(url("order_add")).status_code == 403


def test_a_manager_marks_orders_ready_through_the_service(client, shop, orders):
    client.force_login(shop["manager"])
    response = client.post(
        url("order_changelist"),
        {
            "action": "mark_ready",
            "_selected_action": [orders["reserved"].pk, orders["ready"].pk],
        },
        follow=True,
    )
    text = response.content.decode()
    assert "1 order is ready for pick-up" in text
    assert "1 order was not waiting to be prepared" in text
    orders["reserved"].refresh_from_db()
    assert orders["reserved"].status == Order.Status.READY
    assert OrderEvent.objects.filter(
        order=orders["reserved"], action="ready", by=shop["manager"]
    ).exists()
    # City staff who work for no partner do not get the action: preparing is the partner's.
    client.force_login(make.superuser())
    page = client.get(url("order_changelist"))
    assert "mark_ready" not in page.content.decode()


def test_a_manager_cancels_and_refunds_their_partners_orders_and_the_person_is_told(
    client, shop, orders
):
    fan = orders["fan"]
    before = PointsAccount.objects.get(pk=fan.pk).balance
    client.force_login(shop["manager"])
    response = client.post(
        url("order_changelist"),
        {
            "action": "cancel_and_refund",
            "_selected_action": [orders["ready"].pk, orders["theirs"].pk],
        },
        follow=True,
    )
    assert "1 order is cancelled and refunded" in response.content.decode()
    orders["ready"].refresh_from_db()
    orders["theirs"].refresh_from_db()
    # The museum's order is not this manager's: it is not even in their list, so unchanged.
    assert (orders["ready"].status, orders["theirs"].status) == ("cancelled", "ready")
    assert PointsAccount.objects.get(pk=fan.pk).balance == before + orders["ready"].price
    assert OrderEvent.objects.filter(
        order=orders["ready"], action="cancelled", by=shop["manager"]
    ).exists()
    assert Notification.objects.filter(user=fan, kind="order_cancelled").count() == 1


def test_cancelling_someone_elses_order_needs_the_permission(client, shop, orders):
    stranger = make.person()
    with pytest.raises(DomainError) as refused:
        services.cancel_order(order_id=orders["theirs"].pk, by=stranger)
    assert refused.value.code == "order_not_found"
    cashier = make.member(shop["museum"], PartnerMember.Role.CASHIER)
    with pytest.raises(DomainError):
        services.cancel_order(order_id=orders["theirs"].pk, by=cashier)
    staff = make.editor()
    assert not staff.has_perm("rewards.cancel_any_order")
    client.force_login(make.superuser())
    page = client.get(url("order_changelist")).content.decode()
    assert "cancel_and_refund" in page  # superusers hold every permission
    cancelled = services.cancel_order(order_id=orders["theirs"].pk, by=make.superuser())
    assert cancelled.status == Order.Status.CANCELLED
