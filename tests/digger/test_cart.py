"""The cart optimizer against stored listings: rules, currencies, duty, the job, the API and the page."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digger import services
from digger.countries import country_code
from digger.models import CartPlan, CollectionItem, DiggerProfile, ExchangeRate, Listing, SavedSearch
from integrations.discogs.types import CONDITION_CODES, condition_rank
from tests.digger.factories import CollectionItemFactory, ListingFactory, SavedSearchFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/digger"


def want(user, release_id: int, **rules) -> CollectionItem:
    return CollectionItemFactory(user=user, kind="want", release_id=release_id, title=f"Record {release_id}", **rules)


def listing(search, release_id: int, seller: str, price: str, shipping: str | None = "5.00", **fields) -> Listing:
    return ListingFactory(search=search, release_id=release_id, seller=seller, price=Decimal(price),
                          shipping=Decimal(shipping) if shipping is not None else None, in_wantlist=True, **fields)


def test_cart_buys_from_one_seller_when_combined_shipping_beats_the_cheapest_singles(owner):
    search = SavedSearchFactory(user=owner)
    want(owner, 1)
    want(owner, 2)
    listing(search, 1, "bundle", "10.00", "12.00")
    listing(search, 2, "bundle", "10.00", "12.00")
    listing(search, 1, "single_a", "8.00", "12.00")
    listing(search, 2, "single_b", "8.00", "12.00")
    plan = services.cart_compute(user=owner, options=services.CartOptions())
    assert [s["seller"] for s in plan["sellers"]] == ["bundle"]
    # base 12 + the international extra-item estimate (4.00) for the second record
    assert plan["sellers"][0]["shipping"] == "16.00" and plan["landed_total"] == "36.00"
    # Each at its cheapest listing alone: 8 + 12 twice; the bundle saves 4.
    assert (plan["alone_total"], plan["savings"]) == ("40.00", "4.00")
    assert plan["optimal"] is True and plan["bought"] == 2


def test_cart_leaves_out_wants_and_says_why(owner, settings):
    search = SavedSearchFactory(user=owner)
    want(owner, 1, min_media_condition="NM")
    want(owner, 2)
    want(owner, 3)
    listing(search, 1, "s1", "10.00", media_condition="VG")
    listing(search, 3, "s2", "90.00")
    plan = services.cart_compute(user=owner, options=services.cart_options_clean(budget="50"))
    reasons = {w["release_id"]: w["reason"] for w in plan["left_out"]}
    assert reasons == {1: "grade", 2: "no listing", 3: "over budget"}
    assert plan["sellers"] == [] and plan["status"] == "solved"


def test_cart_converts_currencies_and_adds_duty_for_the_sellers_country(owner):
    search = SavedSearchFactory(user=owner)
    DiggerProfile.objects.create(user=owner, currency="EUR", duty_rates={"GB": "20"})
    ExchangeRate.objects.create(currency="GBP", per_usd=Decimal("0.50"), set_on="2026-11-20")
    ExchangeRate.objects.create(currency="EUR", per_usd=Decimal("1.00"), set_on="2026-11-21")
    want(owner, 1)
    listing(search, 1, "uk_shop", "10.00", "5.00", currency="GBP", seller_country="United Kingdom")
    plan = services.cart_compute(user=owner, options=services.CartOptions())
    seller = plan["sellers"][0]
    # 10 GBP = 20 EUR, shipping 5 GBP = 10 EUR, duty 20 % of 30 EUR = 6 EUR
    assert (seller["subtotal"], seller["shipping"], seller["duty"], seller["total"]) == ("20.00", "10.00", "6.00", "36.00")
    assert plan["currency"] == "EUR" and plan["rates_date"] == "2026-11-21"


def test_cart_honours_seller_rating_and_country_lists(owner):
    search = SavedSearchFactory(user=owner)
    services.cart_set_preferences(user=owner, min_seller_rating="99", country_block=["DE"])
    want(owner, 1)
    listing(search, 1, "low_rated", "5.00", seller_rating=Decimal("97.0"), seller_country="US")
    listing(search, 1, "german", "6.00", seller_rating=Decimal("100"), seller_country="Germany")
    listing(search, 1, "good", "30.00", seller_rating=Decimal("99.5"), seller_country="US")
    plan = services.cart_compute(user=owner, options=services.CartOptions())
    assert [s["seller"] for s in plan["sellers"]] == ["good"]


def test_cart_counts_a_listing_found_by_two_searches_once(owner):
    first, second = SavedSearchFactory(user=owner), SavedSearchFactory(user=owner)
    want(owner, 1)
    for search in (first, second):
        listing(search, 1, "s1", "10.00", external_id="same-1")
    plan = services.cart_compute(user=owner, options=services.CartOptions())
    assert plan["bought"] == 1 and len(plan["sellers"][0]["items"]) == 1


def test_cart_with_an_unbuyable_must_have_is_infeasible_and_says_so(owner, owner_client, django_capture_on_commit_callbacks):
    want(owner, 1, must_have=True)
    with django_capture_on_commit_callbacks(execute=True):
        cart = services.cart_request(user=owner, options=services.CartOptions())
    cart.refresh_from_db()
    assert cart.status == "infeasible" and cart.landed_total is None
    body = owner_client.get(reverse("digger:cart")).content.decode()
    assert "No cart passes your rules" in body and "no listing" in body


@pytest.mark.parametrize(("payload", "field"), [
    ({"budget": "-1"}, "budget"),
    ({"budget": "abc"}, "budget"),
    ({"max_sellers": 0}, "max_sellers"),
    ({"must_have": [0]}, "must_have"),
])
def test_cart_api_rejects_bad_options_with_422(owner_api, payload, field):
    r = Client().post(f"{BASE}/cart", data=payload, content_type="application/json", **owner_api)
    assert r.status_code == 422
    assert field in r.json()["detail"][0]["loc"]
    assert not CartPlan.objects.exists()


def test_cart_api_must_have_not_on_the_want_list_is_422(owner_api):
    r = Client().post(f"{BASE}/cart", data={"must_have": [123]}, content_type="application/json", **owner_api)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "must_have"


def test_cart_api_starts_a_job_and_latest_returns_the_plan(owner, owner_api, django_capture_on_commit_callbacks):
    search = SavedSearchFactory(user=owner)
    want(owner, 1)
    listing(search, 1, "s1", "10.00", "5.00")
    api = Client()
    assert api.get(f"{BASE}/cart/latest", **owner_api).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(f"{BASE}/cart", data={"budget": "100", "max_sellers": 2}, content_type="application/json",
                     **owner_api)
    assert r.status_code == 202 and r.json()["job_id"] and r.json()["progress_ws"].startswith("/ws/progress/job/")
    latest = api.get(f"{BASE}/cart/latest", **owner_api).json()
    assert latest["status"] == "solved" and latest["optimal"] is True
    assert Decimal(latest["landed_total"]) == Decimal("15.00")
    assert latest["plan"]["options"] == {"budget": "100.00", "max_sellers": 2, "must_have": []}


def test_cart_outsider_sees_no_plan(owner, outsider_api, outsider_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cart = services.cart_request(user=owner, options=services.CartOptions())
    assert Client().get(f"{BASE}/cart/latest", **outsider_api).status_code == 404
    assert outsider_client.get(f"{reverse('digger:cart')}?plan={cart.pk}").status_code == 404


def test_cart_page_shows_a_live_bar_while_solving_then_the_plan(owner, owner_client, django_capture_on_commit_callbacks):
    search = SavedSearchFactory(user=owner)
    want(owner, 1)
    listing(search, 1, "s1", "10.00", "5.00", url="https://www.discogs.com/sell/item/1")
    with django_capture_on_commit_callbacks(execute=False):
        r = owner_client.post(reverse("digger:cart"), {"budget": "", "max_sellers": ""})
    assert r.status_code == 302
    pending = owner_client.get(r["Location"]).content.decode()
    assert 'ws-connect="/ws/progress/job/' in pending and 'hx-trigger="every 2s"' in pending
    cart = CartPlan.objects.get()
    services.cart_solve(job_id=cart.job_id, cart_id=cart.pk)
    done = owner_client.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "proven optimal" in done and "You save" in done and "every 2s" not in done
    assert 'data-open-listings="https://www.discogs.com/sell/item/1"' in done


def test_cart_page_rejects_a_negative_budget(owner_client):
    r = owner_client.post(reverse("digger:cart"), {"budget": "-5"})
    assert r.status_code == 422 and "between 0 and" in r.content.decode()


def test_cart_solve_twice_is_idempotent(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        cart = services.cart_request(user=owner, options=services.CartOptions())
    services.cart_solve(job_id=cart.job_id, cart_id=cart.pk)
    first = CartPlan.objects.get(pk=cart.pk).updated_at
    services.cart_solve(job_id=cart.job_id, cart_id=cart.pk)
    assert CartPlan.objects.get(pk=cart.pk).updated_at == first


GRADES = st.sampled_from(CONDITION_CODES[:6] + [""])
ROWS = st.lists(st.tuples(st.integers(1, 4), st.integers(0, 4), st.integers(500, 6000), GRADES, GRADES,
                          st.sampled_from(["97.0", "99.0", "100.0", None]), st.sampled_from(["US", "Germany", "Japan", ""])),
                min_size=1, max_size=10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=ROWS, budget=st.one_of(st.none(), st.integers(0, 20000)), min_media=GRADES, min_sleeve=GRADES,
       min_rating=st.sampled_from([None, "98", "99.5"]), allow=st.sampled_from([[], ["US"], ["US", "JP"]]),
       block=st.sampled_from([[], ["DE"]]))
def test_cart_plan_never_breaks_a_grade_rating_country_or_budget_rule(owner, rows, budget, min_media, min_sleeve,
                                                                    min_rating, allow, block):
    SavedSearch.objects.filter(user=owner).delete()
    CollectionItem.objects.filter(user=owner).delete()
    search = SavedSearchFactory(user=owner)
    services.cart_set_preferences(user=owner, min_seller_rating=min_rating or "", country_allow=allow,
                                  country_block=block)
    for release_id in range(1, 5):
        want(owner, release_id, min_media_condition=min_media, min_sleeve_condition=min_sleeve)
    for release_id, seller, cents, media, sleeve, rating, country in rows:
        listing(search, release_id, f"seller{seller}", str(Decimal(cents) / 100), media_condition=media,
                sleeve_condition=sleeve, seller_rating=Decimal(rating) if rating else None, seller_country=country)
    options = services.cart_options_clean(budget=str(budget / 100) if budget is not None else None)
    plan = services.cart_compute(user=owner, options=options)
    items = [(s, i) for s in plan["sellers"] for i in s["items"]]
    if options.budget is not None:
        assert Decimal(plan["landed_total"]) <= options.budget
    assert len({i["release_id"] for _, i in items}) == len(items)
    for _seller, item in items:
        stored = Listing.objects.get(pk=item["listing_id"])
        if min_media:
            assert condition_rank(stored.media_condition) <= condition_rank(min_media)
        if min_sleeve:
            assert condition_rank(stored.sleeve_condition) <= condition_rank(min_sleeve)
        if min_rating:
            assert stored.seller_rating is not None and stored.seller_rating >= Decimal(min_rating)
        code = country_code(stored.seller_country)
        if allow:
            assert code in {"US", "JP"} and code in set(allow)
        assert code not in set(block)


def test_cart_preferences_page_saves_and_rejects_unknown_codes(owner, owner_client):
    r = owner_client.post(reverse("digger:cart_preferences"), {
        "currency": "eur", "duty_rates": "GB=20, JP=7.5", "country_allow": "EU, GB", "country_block": "",
        "min_seller_rating": "98.5", "cart_drop_alert_percent": "15"})
    assert r.status_code == 302
    profile = DiggerProfile.objects.get(user=owner)
    assert (profile.currency, profile.duty_rates, profile.country_allow) == ("EUR", {"GB": "20", "JP": "7.5"},
                                                                              ["EU", "GB"])
    assert profile.min_seller_rating == Decimal("98.50") and profile.cart_drop_alert_percent == Decimal("15.00")
    for field, value in (("currency", "XYZ"), ("duty_rates", "ZZ=5"), ("duty_rates", "GB=150"), ("country_block", "Mars")):
        data = {"currency": "EUR", "cart_drop_alert_percent": "10", field: value}
        bad = owner_client.post(reverse("digger:cart_preferences"), data)
        assert bad.status_code == 422, (field, value)
    profile.refresh_from_db()
    assert profile.currency == "EUR" and profile.duty_rates == {"GB": "20", "JP": "7.5"}


def test_search_run_re_solves_the_cart_and_alerts_on_a_big_drop(configured_owner, digger_replay, discogs_data,
                                                               django_capture_on_commit_callbacks):
    from django.core import mail

    from digger.models import AlertChannel
    from tests.digger.fixtures import add_discogs_search_routes

    owner = configured_owner
    owner.email = "owner@example.org"
    owner.save()
    AlertChannel.objects.create(user=owner, kind="email")
    want(owner, 372000)
    previous = CartPlan.objects.create(user=owner, status="solved", landed_total=Decimal("500.00"), currency="USD")
    add_discogs_search_routes(digger_replay, discogs_data)
    search = SavedSearchFactory(user=owner, platform="discogs")
    with django_capture_on_commit_callbacks(execute=True):
        services.search_run_now(search=search)
    latest = CartPlan.objects.exclude(pk=previous.pk).get()
    assert latest.status == "solved" and latest.landed_total < Decimal("500.00")
    assert any("Your cart dropped" in m.subject for m in mail.outbox)
