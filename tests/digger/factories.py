"""Factories for digger models."""
from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from digger.models import CollectionItem, Listing, SavedSearch


class SavedSearchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedSearch

    name = factory.Sequence(lambda n: f"Search {n}")
    artist = "The Fall"
    platform = "both"
    interval_hours = 24


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    search = factory.SubFactory(SavedSearchFactory)
    platform = "discogs"
    external_id = factory.Sequence(lambda n: str(100000 + n))
    title = "Dragnet"
    artist = "The Fall"
    price = Decimal("20.00")
    currency = "USD"
    seller = "recordroom"
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)


class CollectionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionItem

    kind = "want"
    release_id = factory.Sequence(lambda n: 500000 + n)
    artist = "The Fall"
    title = "Dragnet"
