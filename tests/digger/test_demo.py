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
