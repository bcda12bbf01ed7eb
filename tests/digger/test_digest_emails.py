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
