"""Time limits, per-run digests, realtime access, admin actions and the demo."""
from __future__ import annotations

import io

import pytest
from django.core import mail
from django.urls import reverse

from common.selectors import realtime_group_allowed
from digger import services
from digger.models import CollectionItem, Listing, SavedSearch, SearchRun
from tests.digger.factories import CollectionItemFactory, SavedSearchFactory
from tests.digger.fixtures import add_discogs_search_routes

pytestmark = pytest.mark.django_db


def test_run_past_its_time_limit_stops_and_says_so(configured_owner, digger_replay, discogs_data, settings):
    settings.DIGGER_RUN_SOFT_TIME_LIMIT = 0
    add_discogs_search_routes(digger_replay, discogs_data)
    search = SavedSearchFactory(user=configured_owner, platform="discogs")
    run = services.search_run_now(search=search)
    assert run.status == SearchRun.Status.FAILED and "Time limit reached" in run.message
    assert not Listing.objects.exists()


def test_per_run_digest_emails_new_want_list_matches(configured_owner, digger_replay, discogs_data,
                                                     django_capture_on_commit_callbacks):
    services.credentials_update(user=configured_owner, email_digest="per_run")
    CollectionItemFactory(user=configured_owner, kind="want", release_id=372000)
    add_discogs_search_routes(digger_replay, discogs_data)
    search = SavedSearchFactory(user=configured_owner, platform="discogs", name="Fall")
    with django_capture_on_commit_callbacks(execute=True):
        services.search_run_now(search=search)
    assert len(mail.outbox) == 1
    assert "1 new want-list match for “Fall”" in mail.outbox[0].body


def test_only_the_owner_may_join_a_search_progress_group(owner, outsider):
    search = SavedSearchFactory(user=owner)
    assert realtime_group_allowed(user=owner, kind="diggersearch", object_id=str(search.pk))
    assert not realtime_group_allowed(user=outsider, kind="diggersearch", object_id=str(search.pk))


def test_admin_run_search_action(staff_client, owner, django_capture_on_commit_callbacks):
    search = SavedSearchFactory(user=owner)
    with django_capture_on_commit_callbacks(execute=False):
        r = staff_client.post(reverse("admin:digger_savedsearch_changelist"),
                              {"action": "run_search", "_selected_action": [search.pk]})
    assert r.status_code == 302
    assert SearchRun.objects.filter(search=search).count() == 1


def test_admin_hides_secrets(staff_client, configured_owner):
    from digger.models import DiggerProfile

    profile = DiggerProfile.objects.get(user=configured_owner)
    body = staff_client.get(reverse("admin:digger_diggerprofile_change", args=[profile.pk])).content.decode()
    assert "discogs-token" not in body and "ebay-cert-secret" not in body


def test_demo_is_idempotent_and_offline(owner, staff, digger_replay, owner_client):
    from digger import demo

    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    assert SavedSearch.objects.filter(user=owner).count() == 3
    assert Listing.objects.filter(search__user=owner, in_wantlist=True).exists()
    assert CollectionItem.objects.filter(user=owner, kind="want").count() == 4
    assert digger_replay.requests == []
    deals = owner_client.get(reverse("digger:deals")).content.decode()
    assert "Buy 2 from recordroom: total with shipping" in deals
    assert "Not configured" in owner_client.get(reverse("digger:index")).content.decode()
