"""The Internet Archive client and parser, on real recordings and on our own fixtures."""
from __future__ import annotations

import json
import time

import pytest

from integrations.errors import RateLimited
from integrations.internet_archive.client import ETREE_QUERY, InternetArchiveClient
from integrations.internet_archive.errors import InvalidIdentifier, ItemUnavailable
from integrations.internet_archive.parser import (
    canonical_format,
    classify_source,
    parse_length,
    parse_metadata,
    parse_scrape,
    parse_search,
    safe_relative_path,
    validate_identifier,
)

GD = "gd1977-04-23.mtx.seamons.97596.sbeok.flac16"


def _real(shared_fixtures, name):
    return json.loads((shared_fixtures / "internet_archive" / name).read_text())


def test_parse_metadata_reads_real_etree_item(shared_fixtures):
    meta = parse_metadata(_real(shared_fixtures, f"metadata_{GD}.json"))
    assert meta.identifier == GD
    assert meta.creator == "Grateful Dead"
    assert meta.venue == "Springfield Civic Center Arena" and meta.coverage == "Springfield, MA"
    assert meta.transferer == "Hunter Seamons"
    assert meta.stream_only is True
    assert meta.source_type == "MTX"
    assert len(meta.files) == 188
    first_flac = meta.file("gd77-04-23d1t01.flac")
    assert first_flac.private is True and first_flac.md5 == "93c867e861d6967ae4d342127aa01908"
    assert first_flac.track == 1 and first_flac.title == "Tuning" and first_flac.length == 266.02
    mp3 = meta.file("gd77-04-23d1t01.mp3")
    assert mp3.private is False and mp3.length == 266.0  # "04:26"
    assert mp3.sha1 == "ceb504486043db5a055ecc025370a24e1bb6990a"
    assert meta.num_reviews > 10 and 4.0 < meta.avg_rating <= 5.0
    assert "&gt;" not in meta.notes  # entities unescaped


def test_parse_metadata_treats_empty_answer_as_unavailable(shared_fixtures):
    with pytest.raises(ItemUnavailable):
        parse_metadata(_real(shared_fixtures, "metadata_gd1977-05-08.sbd.hicks.4982.sbeok.shnf_EMPTY.json"))


def test_parse_search_reads_real_advancedsearch_answers(shared_fixtures):
    etree = parse_search(_real(shared_fixtures, "advancedsearch_collection_etree_mediatype_collection_rows10.json"))
    assert etree.total == 7579 and len(etree.docs) == 10 and etree.rows == 10
    assert etree.docs[0].identifier == "TheFloyds" and etree.docs[0].creator == "The Floyds"
    nasa = parse_search(_real(shared_fixtures, "advancedsearch_collection_nasa_rows50.json"))
    assert len(nasa.docs) == 50
    assert nasa.docs[0].creator == "NASA/JPL-Caltech"  # a list in the answer


def test_parse_scrape_reads_real_cursor_page(shared_fixtures):
    page = parse_scrape(_real(shared_fixtures, "scrape_api_collection_nasa.json"))
    assert page.count == 100 and len(page.docs) == 100
    assert page.cursor == "W3siaWRlbnRpZmllciI6IjE5NjEtTC0wNTkxNCJ9XQ=="


def test_parse_metadata_reads_real_collection_item(shared_fixtures):
    meta = parse_metadata(_real(shared_fixtures, "metadata_collection_GratefulDead.json"))
    assert meta.identifier == "GratefulDead"


@pytest.mark.parametrize("value,expected", [("266.02", 266.02), ("04:26", 266.0), ("1:02:03", 3723.0), ("", None),
                                            ("abc", None)])
def test_parse_length_reads_seconds_and_clock_times(value, expected):
    assert parse_length(value) == expected


@pytest.mark.parametrize("identifier", ["", "-starts-with-dash", "has space", "a/b", "a" * 101, "../etc", "x?y=1",
                                        "http://evil"])
def test_validate_identifier_rejects_bad_identifiers(identifier):
    with pytest.raises(InvalidIdentifier):
        validate_identifier(identifier)


def test_validate_identifier_accepts_etree_identifiers():
    assert validate_identifier(GD) == GD


@pytest.mark.parametrize("name", ["../x.mp3", "a/../../x", "/etc/passwd", "a//b", "a/./b", "x\\..\\y", "a\x00b", ""])
def test_safe_relative_path_rejects_traversal(name):
    with pytest.raises(ValueError):
        safe_relative_path(name)


def test_safe_relative_path_keeps_subfolders():
    assert str(safe_relative_path("disc 1/t01.flac")) == "disc 1/t01.flac"


@pytest.mark.parametrize("kwargs,expected", [
    ({"identifier": "gd77-05-08.sbd.hicks.flac16"}, "SBD"),
    ({"source": "Matrix mix (SBD/AUD)"}, "MTX"),
    ({"identifier": "ph2004.aud.schoeps"}, "AUD"),
    ({"source": "Pre-FM broadcast"}, "FM"),
    ({"source": "Soundboard > DAT"}, "SBD"),
    ({"identifier": "gd1977-05-08.sbeok.shnf"}, ""),  # sbeok means "checked", not soundboard
])
def test_classify_source_reads_identifier_and_source(kwargs, expected):
    assert classify_source(**kwargs) == expected


def test_canonical_format_maps_aliases():
    assert canonical_format("mp3") == "VBR MP3"
    assert canonical_format("FLAC") == "Flac"
    assert canonical_format("ogg") == "Ogg Vorbis"
    assert canonical_format("VBR MP3") == "VBR MP3"


def test_client_search_asks_for_explicit_fields(replay, settings, data_dir):
    settings.IA_BASE_URL = replay.url
    replay.add("/advancedsearch.php", file=data_dir / "internet_archive" / "advancedsearch_testtapers.json")
    with InternetArchiveClient() as client:
        page = client.search(query=ETREE_QUERY + " AND creator:\"Test Tapers\"", page=2, rows=10, sort="date")
    assert page.total == 2 and page.docs[0].source_type == "SBD"
    request = replay.requests_to("/advancedsearch.php")[0]
    assert request.param("q").startswith("collection:etree AND NOT collection:stream_only")
    assert {"identifier", "creator", "venue", "avg_rating", "source", "format"} <= set(request.query["fl[]"])
    assert request.param("sort[]") == "date desc"
    assert request.param("rows") == "10" and request.param("page") == "2" and request.param("output") == "json"
    assert request.headers["User-Agent"] == settings.STYLUS_USER_AGENT


def test_client_retries_429_honouring_retry_after(replay, settings, data_dir):
    settings.IA_BASE_URL = replay.url
    settings.INTEGRATION_MAX_INLINE_WAIT = 5
    replay.add("/advancedsearch.php", fault="429", retry_after=1, times=1)
    replay.add("/advancedsearch.php", file=data_dir / "internet_archive" / "advancedsearch_testtapers.json")
    with InternetArchiveClient() as client:
        client.search(query=ETREE_QUERY)
    first, second = replay.requests_to("/advancedsearch.php")
    assert second.at - first.at >= 0.95


def test_client_gives_up_on_a_long_retry_after(replay, settings):
    settings.IA_BASE_URL = replay.url
    replay.add("/advancedsearch.php", fault="429", retry_after=120)
    with InternetArchiveClient() as client, pytest.raises(RateLimited) as info:
        client.search(query=ETREE_QUERY)
    assert info.value.retry_after >= 100


def test_client_spaces_requests_by_min_interval(replay, settings, data_dir):
    settings.IA_BASE_URL = replay.url
    replay.add("/advancedsearch.php", file=data_dir / "internet_archive" / "advancedsearch_testtapers.json")
    with InternetArchiveClient(min_interval=0.3) as client:
        start = time.monotonic()
        client.search(query="a")
        client.search(query="b")
        elapsed = time.monotonic() - start
    assert len(replay.requests_to("/advancedsearch.php")) == 2
    assert elapsed >= 0.29  # the second request waited its turn


def test_client_metadata_rejects_bad_identifier_before_any_request(replay, settings):
    settings.IA_BASE_URL = replay.url
    with InternetArchiveClient() as client, pytest.raises(InvalidIdentifier):
        client.metadata("../../admin")
    assert replay.requests == []


def test_client_metadata_of_unavailable_item_raises(replay, settings, shared_fixtures):
    settings.IA_BASE_URL = replay.url
    replay.add("/metadata/gd1977-05-08.sbd.hicks.4982.sbeok.shnf", file=shared_fixtures / "internet_archive" /
               "metadata_gd1977-05-08.sbd.hicks.4982.sbeok.shnf_EMPTY.json")
    with InternetArchiveClient() as client, pytest.raises(ItemUnavailable):
        client.metadata("gd1977-05-08.sbd.hicks.4982.sbeok.shnf")


def test_client_scrape_all_follows_the_cursor(replay, settings, data_dir):
    settings.IA_BASE_URL = replay.url
    folder = data_dir / "internet_archive"
    replay.add("/services/search/v1/scrape", query={"cursor": "CURSOR2"}, file=folder / "scrape_page2.json")
    replay.add("/services/search/v1/scrape", file=folder / "scrape_page1.json")
    with InternetArchiveClient() as client:
        pages = list(client.scrape_all(query=ETREE_QUERY, count=100))
    assert [len(p) for p in pages] == [1, 2]
    requests = replay.requests_to("/services/search/v1/scrape")
    assert requests[0].param("cursor") is None and requests[1].param("cursor") == "CURSOR2"
    assert "identifier" in requests[0].param("fields").split(",")


def test_client_download_path_quotes_and_checks_names():
    client = InternetArchiveClient(base_url="http://ia.test")
    assert client.download_path("abc", "disc 1/t#1.mp3") == "/download/abc/disc%201/t%231.mp3"
    with pytest.raises(ValueError):
        client.download_path("abc", "../../secret")
    client.close()


def test_client_open_file_resumes_with_range(replay, settings, data_dir):
    settings.IA_BASE_URL = replay.url
    name = "tt2001-02-03d1t01.mp3"
    replay.add(f"/download/x1/{name}", file=data_dir / "internet_archive" / name)
    with InternetArchiveClient() as client, client.open_file("x1", name, offset=100) as response:
        body = response.read()
    assert response.status_code == 206
    assert body == (data_dir / "internet_archive" / name).read_bytes()[100:]
    assert replay.requests[0].headers["Range"] == "bytes=100-"
    assert time.time() - replay.requests[0].at < 30


def test_client_open_file_body_cut_short_is_a_transient_error(replay, settings, data_dir):
    """http.client ends a short body as quietly as a whole one; the stream must not pass it off as the end."""
    from integrations.errors import TransientError

    settings.IA_BASE_URL = replay.url
    name = "tt2001-02-03d1t01.mp3"
    replay.add(f"/download/x1/{name}", file=data_dir / "internet_archive" / name, fault="drop")
    received = 0
    with pytest.raises(TransientError, match="short"):
        with InternetArchiveClient() as client, client.open_file("x1", name) as response:
            buffer = memoryview(bytearray(4096))
            while n := response.readinto(buffer):
                received += n
    assert 0 < received < (data_dir / "internet_archive" / name).stat().st_size
