"""The replay server the client tests stand on: matching, request log, faults and Range."""
import json
import time

import httpx
import pytest


def test_routes_match_method_path_and_query_subset(replay):
    replay.add("/search", query={"q": "dead"}, json_body={"hit": "dead"})
    replay.add("/search", json_body={"hit": "any"})
    replay.add("/search", method="POST", body="posted")
    assert httpx.get(f"{replay.url}/search", params={"q": "dead", "page": 2}).json() == {"hit": "dead"}
    assert httpx.get(f"{replay.url}/search", params={"q": "other"}).json() == {"hit": "any"}
    assert httpx.post(f"{replay.url}/search", content=b"x").text == "posted"
    assert httpx.get(f"{replay.url}/nowhere").status_code == 404


def test_requests_are_recorded_with_headers_query_and_body(replay):
    replay.add("/items", method="POST", json_body={})
    httpx.post(f"{replay.url}/items?x=1", json={"a": 1}, headers={"User-Agent": "Stylus-test"})
    (request,) = replay.requests_to("/items", method="POST")
    assert request.param("x") == "1" and request.headers["User-Agent"] == "Stylus-test"
    assert json.loads(request.body) == {"a": 1}


def test_times_queues_a_fault_before_the_good_answer(replay):
    replay.add("/flaky", fault="429", retry_after=7, times=1)
    replay.add("/flaky", json_body={"ok": True})
    first = httpx.get(f"{replay.url}/flaky")
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert httpx.get(f"{replay.url}/flaky").json() == {"ok": True}


@pytest.mark.parametrize("fault", ["500", "502", "503"])
def test_server_error_faults(replay, fault):
    replay.add("/boom", fault=fault)
    assert httpx.get(f"{replay.url}/boom").status_code == int(fault)


def test_timeout_and_slow_faults(replay):
    replay.add("/hang", fault="timeout")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{replay.url}/hang", timeout=0.3)
    replay.add("/slow", fault="slow", body=b"x" * 2000)
    start = time.perf_counter()
    assert httpx.get(f"{replay.url}/slow").content == b"x" * 2000
    assert time.perf_counter() - start >= 0.5  # trickled out in 20 pieces


def test_dropped_connection_sends_half_the_body(replay, tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 40)
    replay.add("/file", file=path, fault="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{replay.url}/file")


def test_range_requests_on_files(replay, tmp_path):
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 4
    path.write_bytes(data)
    replay.add("/file", file=path)
    part = httpx.get(f"{replay.url}/file", headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.content == data[100:]
    assert part.headers["Content-Range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
    assert httpx.get(f"{replay.url}/file", headers={"Range": "bytes=10-19"}).content == data[10:20]
    assert httpx.get(f"{replay.url}/file", headers={"Range": f"bytes={len(data)}-"}).status_code == 416
