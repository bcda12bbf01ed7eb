"""Digger demo content: loads offline and idempotently, and unloads exactly what it made."""
from __future__ import annotations

import io

import pytest
from django.urls import reverse

from digger import demo
from digger.models import CollectionItem, Listing, SavedSearch

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent_and_offline(owner, staff, digger_replay, owner_client):
    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    assert SavedSearch.objects.filter(user=owner).count() == len(demo.SEARCHES) == 4
    assert Listing.objects.filter(search__user=owner, in_wantlist=True).exists()
    assert CollectionItem.objects.filter(user=owner, kind="want").count() == 4
    assert digger_replay.requests == []
    deals = owner_client.get(reverse("digger:deals")).content.decode()
    assert "Buy 2 from recordroom: total with shipping" in deals
    assert "Not configured" in owner_client.get(reverse("digger:index")).content.decode()


def test_demo_cart_optimum_beats_greedy(owner, staff, digger_replay):
    from decimal import Decimal

    from digger.models import CartPlan
    from digger.optimizer import greedy, plan_cost
    from digger.services.cart import CartOptions, cart_input_for_user

    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    cart = CartPlan.objects.get(user=owner, is_demo=True)
    problem = cart_input_for_user(user=owner, options=CartOptions()).problem
    greedy_cost = Decimal(str(round(plan_cost(problem, greedy(problem)), 2)))
    assert cart.status == "solved" and cart.optimal
    assert cart.landed_total < greedy_cost
    assert Decimal(cart.plan["savings"]) > 0
    assert "bundle_bin" in [s["seller"] for s in cart.plan["sellers"]]


def test_demo_unload_removes_exactly_the_demo_rows(owner, staff, digger_replay):
    from digger.models import CartPlan, Notification, PriceBand, ReleasePrice
    from tests.digger.factories import CollectionItemFactory, SavedSearchFactory

    real_search = SavedSearchFactory(user=owner, name="My real search")
    real_want = CollectionItemFactory(user=owner, kind="want", release_id=1215019, title="Unknown Pleasures")
    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    assert PriceBand.objects.exists() and CartPlan.objects.exists()
    out = io.StringIO()
    demo.unload(stdout=out)
    assert list(SavedSearch.objects.all()) == [real_search]
    assert list(CollectionItem.objects.all()) == [real_want]  # existed before the demo: never marked
    assert not Listing.objects.exists() and not CartPlan.objects.exists() and not Notification.objects.exists()
    assert not ReleasePrice.objects.exists() and not PriceBand.objects.exists()
    assert "removed" in out.getvalue()
    demo.unload(stdout=io.StringIO())  # idempotent
    assert SavedSearch.objects.count() == 1
