import pytest

from integrations.spotify.client import parse_spotify_link
from integrations.spotify.errors import InvalidSpotifyLink

ID = "3SVAN3BRByDmHOhKyIDxfC"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"https://open.spotify.com/track/{ID}", "track"),
        (f"https://open.spotify.com/track/{ID}?si=abc123&utm_source=copy-link", "track"),
        (f"https://open.spotify.com/intl-de/track/{ID}", "track"),
        (f"https://open.spotify.com/intl-pt/playlist/{ID}?si=x", "playlist"),
        (f"https://open.spotify.com/playlist/{ID}", "playlist"),
        (f"https://open.spotify.com/album/{ID}/", "album"),
        (f"spotify:track:{ID}", "track"),
        (f"spotify:playlist:{ID}", "playlist"),
        (f"  spotify:album:{ID}\n", "album"),
    ],
)
def test_parse_spotify_link_accepts_track_playlist_album_urls_and_uris(text, kind):
    ref = parse_spotify_link(text)
    assert ref.kind == kind
    assert ref.id == ID
    assert ref.uri == f"spotify:{kind}:{ID}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste a Spotify"),
        (f"https://www.youtube.com/watch?v={ID}", "not a Spotify link"),
        (f"https://open.spotify.com.evil.example/track/{ID}", "not a Spotify link"),
        (f"http://open.spotify.com/track/{ID}", "not a Spotify link"),
        (f"https://open.spotify.com/intl-deu/track/{ID}", "not a Spotify link"),
        (f"open.spotify.com/track/{ID}", "not a Spotify link"),
        ("https://open.spotify.com/track/short", "22 letters and digits"),
        (f"https://open.spotify.com/track/{ID}X", "22 letters and digits"),
        ("https://open.spotify.com/track/3SVAN3BRByDmHOhKyIDx-C", "22 letters and digits"),
        (f"https://open.spotify.com/artist/{ID}", "artist links are not supported"),
        (f"https://open.spotify.com/episode/{ID}", "episode links are not supported"),
        (f"spotify:artist:{ID}", "artist links are not supported"),
        (f"spotify:track:{ID}:extra", "not a Spotify link"),
        (f"spotify:track:{ID[:-1]}", "22 letters and digits"),
        (f"https://open.spotify.com/track/{ID} https://open.spotify.com/track/{ID}", "not a Spotify link"),
    ],
)
def test_parse_spotify_link_rejects_everything_else_with_a_clear_message(text, message):
    with pytest.raises(InvalidSpotifyLink) as err:
        parse_spotify_link(text)
    assert message in str(err.value)


def test_parse_spotify_link_restricts_kinds_when_asked():
    with pytest.raises(InvalidSpotifyLink, match="album links are not supported here: paste a track or playlist"):
        parse_spotify_link(f"https://open.spotify.com/album/{ID}", kinds=("track", "playlist"))


@pytest.mark.parametrize("text", [f"https://open.spotify.com/track/{ID}\n/", f"https://open.spotify.com/track/{ID}\n",
                                  f"spotify:track:{ID}\nx", f"https://open.spotify.com/track/{ID[:21]}é"])
def test_parse_spotify_link_rejects_an_inner_newline_or_non_ascii_id(text):
    with pytest.raises(InvalidSpotifyLink):
        ref = parse_spotify_link(text + ("?si=1" if text.endswith("\n") else ""))
        assert "\n" not in ref.id  # reached only on the old code: the id carried the newline to httpx


@pytest.mark.parametrize(("text", "ok"), [(ID, True), (f"{ID}\n", False), (f" {ID}", False), (ID[:21], False),
                                          (f"{ID[:21]}é", False), ("", False)])
def test_is_spotify_id_is_exactly_22_ascii_letters_and_digits(text, ok):
    from integrations.spotify.client import is_spotify_id

    assert is_spotify_id(text) is ok
