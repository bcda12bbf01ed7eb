"""Digger admin: the run-search action queues a run, and secrets never appear on the change page."""
from __future__ import annotations

import pytest
from django.urls import reverse

from digger.models import DiggerProfile, SearchRun
from tests.digger.factories import SavedSearchFactory

pytestmark = pytest.mark.django_db


def test_admin_run_search_action_queues_a_run(staff_client, owner, django_capture_on_commit_callbacks):
    search = SavedSearchFactory(user=owner)
    with django_capture_on_commit_callbacks(execute=False):
        r = staff_client.post(reverse("admin:digger_savedsearch_changelist"),
                              {"action": "run_search", "_selected_action": [search.pk]})
    assert r.status_code == 302
    assert SearchRun.objects.filter(search=search).count() == 1


def test_admin_profile_page_hides_secrets(staff_client, configured_owner):
    profile = DiggerProfile.objects.get(user=configured_owner)
    body = staff_client.get(reverse("admin:digger_diggerprofile_change", args=[profile.pk])).content.decode()
    assert "discogs-token" not in body and "ebay-cert-secret" not in body
