"""The workflow partial and the profile page's image check."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tracks.models import TrackerProfile

pytestmark = pytest.mark.django_db


def test_workflow_htmx_returns_steps_partial_with_error(owner_client):
    owner_client.get(reverse("tracks:workflow"))

    response = owner_client.post(reverse("tracks:workflow"), {"action": "add", "name": "MIDI"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="workflow-steps"' in html and "already a step" in html and "<html" not in html


def test_profile_page_rejects_non_image(owner_client, owner):
    upload = SimpleUploadedFile("me.png", b"definitely not a png", content_type="image/png")

    response = owner_client.post(reverse("tracks:profile_edit"), {"display_name": "Me", "image": upload})

    assert response.status_code == 422
    assert "image" in response.content.decode().lower()
    assert not TrackerProfile.objects.filter(user=owner, image__gt="").exists()
