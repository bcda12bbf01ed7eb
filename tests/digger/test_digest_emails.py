"""Digest e-mails: sent after a run or daily, each listing and search linked, covers shown."""
from __future__ import annotations

import pytest
from django.core import mail

from digger import services
from tests.digger.factories import CollectionItemFactory, SavedSearchFactory
from tests.digger.fixtures import add_discogs_search_routes

pytestmark = pytest.mark.django_db


def test_digest_per_run_emails_new_want_list_matches(configured_owner, digger_replay, discogs_data,
                                                     django_capture_on_commit_callbacks):
    services.credentials_update(user=configured_owner, email_digest="per_run")
    CollectionItemFactory(user=configured_owner, kind="want", release_id=372000)
    add_discogs_search_routes(digger_replay, discogs_data)
    search = SavedSearchFactory(user=configured_owner, platform="discogs", name="Fall")
    with django_capture_on_commit_callbacks(execute=True):
        services.search_run_now(search=search)
    assert len(mail.outbox) == 1
    assert "1 new want-list match for “Fall”" in mail.outbox[0].body


def test_digest_links_each_listing_the_search_and_a_cover_from_site_domain(owner, client, settings):
    from decimal import Decimal

    from digger.models import Notification
    from tests.digger.factories import ListingFactory

    settings.SITE_DOMAIN = "stylus.example.org"
    owner.email = "owner@example.org"
    owner.save()
    search = SavedSearchFactory(user=owner, name="Fall hunt")
    listing = ListingFactory(search=search, title="Dragnet", price=Decimal("29.00"), shipping=Decimal("6.00"),
                             media_condition="VG+", sleeve_condition="VG", seller="recordroom", release_id=372000,
                             url="https://www.discogs.com/sell/item/2001001")
    notice = Notification.objects.create(user=owner, message="1 new want-list match for “Fall hunt”", search=search,
                                         url=f"/digger/searches/{search.pk}/?wanted=1")
    notice.listings.set([listing])
    assert services.digest_send(user=owner) == 1
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    search_url = f"https://stylus.example.org/digger/searches/{search.pk}/"
    for body in (message.body, html):
        assert search_url in body
        assert "https://www.discogs.com/sell/item/2001001" in body
        assert "https://stylus.example.org/digger/covers/" in body
        assert "29.00 USD + 6.00" in body and "35.00 USD" in body and "VG+" in body and "recordroom" in body
    cover = html.split('<img src="')[1].split('"')[0]
    response = client.get(cover.removeprefix("https://stylus.example.org"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_digest_cover_link_with_a_forged_token_is_404(client):
    from django.urls import reverse

    assert client.get(reverse("digger:cover", args=["1:forged:token"])).status_code == 404


def test_digest_daily_groups_per_notice(owner, settings):
    from digger.models import DiggerProfile, Notification

    owner.email = "owner@example.org"
    owner.save()
    DiggerProfile.objects.create(user=owner, email_digest="daily")
    first, second = SavedSearchFactory(user=owner, name="One"), SavedSearchFactory(user=owner, name="Two")
    for search in (first, second):
        Notification.objects.create(user=owner, message=f"news for {search.name}", search=search, url="/digger/")
    assert services.digests_send_daily() == 1
    body = mail.outbox[0].body
    assert body.index("news for One") < body.index(f"/digger/searches/{first.pk}/") < body.index("news for Two")
