"""An album known from a link but with no page on AOTY gets a 404 page that says so, with a search link."""
from __future__ import annotations

from albums.models import Album


def test_album_page_without_aoty_page_is_404_with_search_link(client, aoty, db):
    stub = Album.objects.create(aoty_id=900003, slug="mara-vale-ghost-record", title="Ghost Record", artist_name="Mara Vale")
    aoty.add("/album/900003-mara-vale-ghost-record.php", status=404, body="gone", content_type="text/html")

    response = client.get(f"/albums/{stub.pk}/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "AOTY has no page for this album" in html
    assert 'href="/albums/search/?q=Mara+Vale+Ghost+Record&amp;remote=1"' in html
    assert Album.objects.get(pk=stub.pk).is_stub  # nothing half-stored


def test_album_page_unknown_id_is_plain_404(client, db):
    response = client.get("/albums/424242/")

    assert response.status_code == 404
    assert "AOTY has no page for this album" not in response.content.decode()
