"""Inviting collaborators from pack pages."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tracks.models import Collaboration

pytestmark = pytest.mark.django_db


def test_pack_page_batch_invite_comma_separated(owner_client, make_pack):
    UserFactory(username="amy")
    UserFactory(username="bob")
    pack = make_pack("Team")

    owner_client.post(reverse("tracks:collaboration_invite"), {"pack": pack.pk, "username": "amy, bob",
                                                              "permission": "pack_edit"})

    assert sorted(Collaboration.objects.filter(pack=pack).values_list("user__username", "permission")) == [
        ("amy", "pack_edit"), ("bob", "pack_edit")]


def test_pack_page_invite_unknown_user_invites_nobody(owner_client, make_pack):
    UserFactory(username="amy")
    pack = make_pack("Team")

    response = owner_client.post(reverse("tracks:collaboration_invite"), {"pack": pack.pk, "username": "amy, ghost",
                                                                         "permission": "pack_view"}, follow=True)

    assert "No user called" in response.content.decode()
    assert not Collaboration.objects.filter(pack=pack).exists()


def test_outsider_cannot_invite_onto_someone_elses_pack(outsider_client, make_pack):
    pack = make_pack("Private")

    response = outsider_client.post(reverse("tracks:collaboration_invite"), {"pack": pack.pk, "username": "owner",
                                                                            "permission": "pack_view"})

    assert response.status_code == 404 and not Collaboration.objects.exists()
