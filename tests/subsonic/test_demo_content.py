"""Subsonic demo content: a known app password and starred concerts for the demo user, all marked is_demo so
unload removes exactly them (a user's own stars stay)."""
from __future__ import annotations

import io

from tests.subsonic.conftest import call_json


def test_demo_load_and_unload_touch_only_demo_rows(client, library, owner, staff, outsider):
    from subsonic import demo
    from subsonic.models import AppPassword, Star

    own = Star.objects.create(user=outsider, kind=Star.Kind.ALBUM, item_id=f"al-{library.concert.pk}")
    out = io.StringIO()
    demo.load(user=owner, staff=staff, stdout=out)
    demo.load(user=owner, staff=staff, stdout=out)  # idempotent
    assert "stylus-subsonic-demo" in out.getvalue()
    assert call_json(client, "ping", u="owner", p=demo.DEMO_APP_PASSWORD)["status"] == "ok"
    assert Star.objects.filter(user=owner, is_demo=True).count() == 2
    demo.unload(stdout=io.StringIO())
    assert not AppPassword.objects.filter(user=owner).exists()
    assert not Star.objects.filter(is_demo=True).exists()
    assert Star.objects.filter(pk=own.pk).exists()
