"""Every endpoint with the owner, collaborators and an outsider (the rule in tracks/permissions.py):
no role is 404, a visible object you may not change is 403."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import UserFactory
from tests.tracks.conftest import png_bytes, share
from tracks import services
from tracks.models import Collaboration, Song

pytestmark = pytest.mark.django_db
API = "/api/v1/tracks"
ACTORS = ["owner", "editor", "pack_editor", "viewer", "outsider"]


def _auth(user) -> dict:
    from accounts.services import api_token_create

    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t')[1]}"}


@pytest.fixture
def world(owner, outsider):
    editor = UserFactory(username="editor")  # song_edit on the song
    pack_editor = UserFactory(username="packeditor")  # pack_edit on the song's pack
    viewer = UserFactory(username="viewer")  # pack_view on the song's pack
    pack = services.pack_create(user=owner, data={"name": "Shared pack"})
    song = services.song_create(user=owner, data={"title": "Shared", "artist": "Band", "status": "In Progress",
                                                  "pack_id": pack.pk})
    series = services.album_series_create(user=owner, data={"artist": "Band", "album": "Record"})
    song_collab = share(owner=owner, user=editor, song=song)
    share(owner=owner, user=pack_editor, pack=pack, permission="pack_edit")
    share(owner=owner, user=viewer, pack=pack, permission="pack_view")
    users = {"owner": owner, "editor": editor, "pack_editor": pack_editor, "viewer": viewer, "outsider": outsider}
    return {"song": song, "pack": pack, "series": series, "collab": song_collab,
            "step": song.steps.first().step_id, "auth": {k: _auth(u) for k, u in users.items()}}


def _call(client, method, url, body, auth):
    if body == "cover":
        return client.post(url, {"cover": SimpleUploadedFile("c.png", png_bytes(), content_type="image/png")}, **auth)
    kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    return getattr(client, method)(url, **kwargs, **auth)


SONG_FULL = {"title": "Shared", "artist": "Band", "status": "In Progress", "priority": 2}

# method, url, body, expected status for owner, editor, pack_editor, viewer, outsider
CASES = [
    ("get", "/songs/{song}", None, [200, 200, 200, 200, 404]),
    ("patch", "/songs/{song}", {"notes": "n"}, [200, 200, 200, 403, 404]),
    ("put", "/songs/{song}", SONG_FULL, [200, 200, 200, 403, 404]),
    ("put", "/songs/{song}/steps/{step}", {"done": True}, [200, 200, 200, 403, 404]),
    ("post", "/songs/{song}/cover", "cover", [200, 200, 200, 403, 404]),
    ("delete", "/songs/{song}", None, [204, 403, 403, 403, 404]),
    ("get", "/songs/{song}/spotify-matches", None, [None, None, None, 403, 404]),
    ("post", "/songs/{song}/enrich", {}, [None, None, None, 403, 404]),
    ("post", "/songs/bulk-delete", {"ids": ["{song}"]}, [200, 403, 403, 403, 404]),
    ("post", "/songs/bulk-status", {"ids": ["{song}"], "status": "Released"}, [200, 200, 200, 403, 404]),
    ("post", "/songs/bulk-pack", {"ids": ["{song}"], "pack_id": None}, [200, 403, 403, 403, 404]),
    ("get", "/packs/{pack}", None, [200, 404, 200, 200, 404]),
    ("patch", "/packs/{pack}", {"release_notes": "x"}, [200, 404, 200, 403, 404]),
    ("put", "/packs/{pack}", {"name": "Shared pack", "priority": 2}, [200, 404, 200, 403, 404]),
    ("post", "/packs/{pack}/cover", "cover", [200, 404, 200, 403, 404]),
    ("post", "/packs/{pack}/release", {}, [200, 404, 403, 403, 404]),
    ("delete", "/packs/{pack}", None, [204, 404, 403, 403, 404]),
    ("get", "/album-series/{series}", None, [200, 404, 404, 404, 404]),
    ("patch", "/album-series/{series}", {"description": "d"}, [200, 404, 404, 404, 404]),
    ("post", "/album-series/{series}/marks", {"title": "Intro"}, [200, 404, 404, 404, 404]),
    ("post", "/album-series/{series}/add-missing", None, [200, 404, 404, 404, 404]),
    ("delete", "/album-series/{series}", None, [204, 404, 404, 404, 404]),
    ("post", "/collaborations", {"username": "staffer", "song_id": "{song}"}, [201, 403, 403, 403, 404]),
    ("post", "/collaborations/batch", {"pack_id": "{pack}", "usernames": ["staffer"]}, [201, 404, 403, 403, 404]),
    ("get", "/collaborations/{collab}", None, [200, 200, 404, 404, 404]),
    ("patch", "/collaborations/{collab}", {"permission": "song_edit"}, [200, 403, 404, 404, 404]),
    ("delete", "/collaborations/{collab}", None, [None, 204, 404, 404, 404]),  # the collaborator leaves
]


def _fill(value, world):
    ids = {"song": world["song"].pk, "pack": world["pack"].pk, "series": world["series"].pk,
           "collab": world["collab"].pk, "step": world["step"]}
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


@pytest.mark.parametrize("method, url, body, expected", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_endpoint_permission(client, world, staff, method, url, body, expected):
    # Refused actors first (they must change nothing), then the allowed ones, the owner last (a PUT by the owner
    # may take the song out of the pack that gives the others their access).
    order = sorted((a for a in ACTORS if expected[ACTORS.index(a)] is not None),
                   key=lambda a: (expected[ACTORS.index(a)] < 400, a == "owner"))
    for actor in order:
        want = expected[ACTORS.index(actor)]
        before = Song.objects.filter(pk=world["song"].pk).values().first()

        response = _call(client, method, API + _fill(url, world), _fill(body, world), world["auth"][actor])

        assert response.status_code == want, (actor, response.content)
        if want >= 400:
            assert "detail" in response.json()
            assert Song.objects.filter(pk=world["song"].pk).values().first() == before  # nothing changed


def test_collaboration_owner_removes_collaborator(client, world):
    response = client.delete(f"{API}/collaborations/{world['collab'].pk}", **world["auth"]["owner"])

    assert response.status_code == 204
    assert client.get(f"{API}/songs/{world['song'].pk}", **world["auth"]["editor"]).status_code == 404


def test_song_list_shows_shared_songs_to_collaborators_only(client, world):
    def titles(actor):
        return [s["title"] for s in client.get(f"{API}/songs", **world["auth"][actor]).json()["items"]]

    assert titles("editor") == ["Shared"] and titles("viewer") == ["Shared"]
    assert titles("outsider") == []


def test_pack_list_shows_shared_packs_to_pack_collaborators_only(client, world):
    def names(actor):
        return [p["name"] for p in client.get(f"{API}/packs", **world["auth"][actor]).json()["items"]]

    assert names("viewer") == ["Shared pack"] and names("editor") == [] and names("outsider") == []


def test_collaboration_pending_grants_nothing(client, owner, outsider, world):
    collab = services.collaboration_invite(user=owner, username=outsider.username, song=world["song"])
    auth = world["auth"]["outsider"]
    assert client.get(f"{API}/songs/{world['song'].pk}", **auth).status_code == 404

    client.post(f"{API}/collaborations/{collab.pk}/accept", **auth)

    assert client.get(f"{API}/songs/{world['song'].pk}", **auth).status_code == 200


def test_collaboration_declined_grants_nothing(client, owner, outsider, world):
    collab = services.collaboration_invite(user=owner, username=outsider.username, song=world["song"])
    auth = world["auth"]["outsider"]

    response = client.post(f"{API}/collaborations/{collab.pk}/decline", **auth)

    assert response.json()["state"] == "declined"
    assert client.get(f"{API}/songs/{world['song'].pk}", **auth).status_code == 404
    assert client.post(f"{API}/collaborations/{collab.pk}/accept", **auth).status_code == 409


def test_collaboration_only_invitee_can_accept(client, owner, outsider, world):
    collab = services.collaboration_invite(user=owner, username=outsider.username, song=world["song"])

    assert client.post(f"{API}/collaborations/{collab.pk}/accept", **world["auth"]["owner"]).status_code == 403
    assert client.post(f"{API}/collaborations/{collab.pk}/accept", **world["auth"]["viewer"]).status_code == 404
    collab.refresh_from_db()
    assert collab.state == Collaboration.State.PENDING


def test_song_collaborator_gets_song_edit(client, owner, outsider, world):
    response = client.post(f"{API}/collaborations", data=json.dumps({"username": "outsider", "song_id": world["song"].pk}),
                           content_type="application/json", **world["auth"]["owner"])

    assert response.status_code == 201
    body = response.json()
    assert body["permission"] == "song_edit" and body["state"] == "pending"
    client.post(f"{API}/collaborations/{body['id']}/accept", **world["auth"]["outsider"])
    song = client.get(f"{API}/songs/{world['song'].pk}", **world["auth"]["outsider"]).json()
    assert song["role"] == "editor"


def test_collaboration_song_with_pack_permission_is_422(client, world):
    response = client.post(f"{API}/collaborations", data=json.dumps({"username": "outsider", "song_id": world["song"].pk,
                                                                     "permission": "pack_view"}),
                           content_type="application/json", **world["auth"]["owner"])

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "permission"]


def test_collaboration_batch_invites_all_or_none(client, world, outsider):
    UserFactory(username="friend1")
    auth = world["auth"]["owner"]
    bad = client.post(f"{API}/collaborations/batch", data=json.dumps({"pack_id": world["pack"].pk,
                                                                      "usernames": ["friend1", "nobody-here"]}),
                      content_type="application/json", **auth)
    assert bad.status_code == 422
    assert not Collaboration.objects.filter(user__username="friend1").exists()

    ok = client.post(f"{API}/collaborations/batch", data=json.dumps({"pack_id": world["pack"].pk, "permission": "pack_edit",
                                                                     "usernames": ["friend1", "outsider"]}),
                     content_type="application/json", **auth)
    assert ok.status_code == 201
    assert sorted(c["username"] for c in ok.json()) == ["friend1", "outsider"]


def test_editor_cannot_file_song_into_owner_pack(client, world, owner):
    other = services.pack_create(user=owner, data={"name": "Other"})

    response = client.patch(f"{API}/songs/{world['song'].pk}", data=json.dumps({"pack_id": other.pk}),
                            content_type="application/json", **world["auth"]["editor"])

    assert response.status_code == 403
    assert Song.objects.get(pk=world["song"].pk).pack_id == world["pack"].pk


def test_public_profile_api(client, owner, world):
    assert client.get(f"{API}/profiles/owner").status_code == 404

    services.profile_update(user=owner, data={"is_public": True})
    body = client.get(f"{API}/profiles/owner").json()

    assert body["username"] == "owner" and body["songs"] == []  # nothing released yet
    assert {a["code"] for a in body["achievements"]} >= {"first_song", "pack_starter"}
