"""The digger API under /api/v1/digger/: CRUD, validation (422 with fields), runs, results, deals, privacy."""
from __future__ import annotations

import pytest
from django.test import Client

from digger.models import SavedSearch, SearchRun
from tests.digger.factories import CollectionItemFactory, ListingFactory, SavedSearchFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/digger"


@pytest.fixture
def api():
    return Client()


def post(api, url, data, auth):
    return api.post(url, data=data, content_type="application/json", **auth)


def test_create_list_update_delete(api, owner_api, owner):
    r = post(api, f"{BASE}/searches", {"name": "Can", "artist": "Can", "title": "Tago Mago", "platform": "discogs",
                                       "price_min": "5", "price_max": "40", "min_media_condition": "VG+"}, owner_api)
    assert r.status_code == 201, r.json()
    search_id = r.json()["id"]
    assert SavedSearch.objects.get(pk=search_id).user == owner
    assert api.get(f"{BASE}/searches", **owner_api).json()["count"] == 1
    r = api.patch(f"{BASE}/searches/{search_id}", data={"interval_hours": 6}, content_type="application/json", **owner_api)
    assert r.status_code == 200 and r.json()["interval_hours"] == 6 and r.json()["artist"] == "Can"
    assert api.delete(f"{BASE}/searches/{search_id}", **owner_api).status_code == 204
    assert not SavedSearch.objects.exists()


@pytest.mark.parametrize(("payload", "field"), [
    ({"platform": "amazon"}, "platform"),
    ({"price_min": "50", "price_max": "10"}, "price_min"),
    ({"interval_hours": 0}, "interval_hours"),
    ({"min_media_condition": "EX"}, "min_media_condition"),
    ({"min_sleeve_condition": "great"}, "min_sleeve_condition"),
    ({"seller_location": "Mars"}, "seller_location"),
    ({"artist": "", "query": ""}, "query"),
])
def test_bad_input_is_422_with_field_details(api, owner_api, payload, field):
    r = post(api, f"{BASE}/searches", {"name": "x", "artist": "Can", **payload}, owner_api)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == field
    assert not SavedSearch.objects.exists()


def test_run_endpoint_queues_and_second_run_conflicts(api, owner_api, owner):
    search = SavedSearchFactory(user=owner)
    SearchRun.objects.create(search=search, status=SearchRun.Status.RUNNING)
    r = api.post(f"{BASE}/searches/{search.pk}/run", **owner_api)
    assert r.status_code == 409 and "already running" in r.json()["detail"]


def test_run_endpoint_runs_the_search(api, owner_api, owner, django_capture_on_commit_callbacks):
    search = SavedSearchFactory(user=owner)  # no credentials: the run fails cleanly, reporting why
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(f"{BASE}/searches/{search.pk}/run", **owner_api)
    assert r.status_code == 202 and r.json()["status"] == "pending"
    run = SearchRun.objects.get(pk=r.json()["id"])
    assert run.status == SearchRun.Status.FAILED and "not configured" in run.message
    runs = api.get(f"{BASE}/searches/{search.pk}/runs", **owner_api).json()
    assert runs["items"][0]["id"] == run.pk


def test_results_sorted_and_filtered(api, owner_api, owner):
    search = SavedSearchFactory(user=owner)
    ListingFactory(search=search, price="30.00", in_wantlist=True)
    ListingFactory(search=search, price="10.00")
    ListingFactory(search=search, price="20.00", platform="ebay")
    r = api.get(f"{BASE}/searches/{search.pk}/results?sort=-price", **owner_api).json()
    assert [i["price"] for i in r["items"]] == ["30.00", "20.00", "10.00"]
    r = api.get(f"{BASE}/searches/{search.pk}/results?wanted=true", **owner_api).json()
    assert r["count"] == 1
    r = api.get(f"{BASE}/searches/{search.pk}/results?platform=ebay", **owner_api).json()
    assert r["items"][0]["platform"] == "ebay"
    assert api.get(f"{BASE}/searches/{search.pk}/results?sort=bogus", **owner_api).status_code == 422


def test_deals_group_by_seller_with_summary(api, owner_api, owner):
    search = SavedSearchFactory(user=owner)
    ListingFactory(search=search, seller="a", price="10.00", in_wantlist=True)
    ListingFactory(search=search, seller="a", price="12.00", in_wantlist=True)
    ListingFactory(search=search, seller="b", price="9.00")
    items = api.get(f"{BASE}/deals", **owner_api).json()["items"]
    assert items[0]["seller"] == "a" and len(items[0]["items"]) == 2
    assert items[0]["summary"].startswith("Buy 2 from a: total with shipping")


def test_collection_and_wantlist(api, owner_api, owner):
    CollectionItemFactory(user=owner, kind="collection", title="Tago Mago", artist="Can")
    CollectionItemFactory(user=owner, kind="want", title="Ege Bamyasi", artist="Can")
    assert [i["title"] for i in api.get(f"{BASE}/collection", **owner_api).json()["items"]] == ["Tago Mago"]
    assert [i["title"] for i in api.get(f"{BASE}/wantlist", **owner_api).json()["items"]] == ["Ege Bamyasi"]


def test_sync_requires_configured_discogs(api, owner_api):
    r = api.post(f"{BASE}/sync", **owner_api)
    assert r.status_code == 422 and "not configured" in r.json()["detail"][0]["msg"]


def test_credentials_are_write_only(api, owner_api):
    r = api.put(f"{BASE}/credentials", data={"discogs_username": "digger", "discogs_token": "abcdefghijkl-secret-9876"},
                content_type="application/json", **owner_api)
    assert r.status_code == 200
    body = api.get(f"{BASE}/credentials", **owner_api).content.decode()
    assert "abcdefghijkl-secret" not in body and "9876" in body
    assert api.get(f"{BASE}/credentials", **owner_api).json()["discogs"]["status"] == "configured"
    bad = api.put(f"{BASE}/credentials", data={"discogs_username": "no spaces allowed"}, content_type="application/json",
                  **owner_api)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "discogs_username"]


def test_anonymous_is_401(api):
    assert api.get(f"{BASE}/searches").status_code == 401
    assert api.get(f"{BASE}/credentials").status_code == 401


def test_outsider_never_sees_owner_data(api, owner, outsider_api, configured_owner):
    search = SavedSearchFactory(user=owner)
    ListingFactory(search=search, seller="a")
    CollectionItemFactory(user=owner, kind="collection")
    for method, url in [("get", f"{BASE}/searches/{search.pk}"), ("get", f"{BASE}/searches/{search.pk}/results"),
                        ("get", f"{BASE}/searches/{search.pk}/runs"), ("post", f"{BASE}/searches/{search.pk}/run"),
                        ("delete", f"{BASE}/searches/{search.pk}"), ("patch", f"{BASE}/searches/{search.pk}")]:
        r = getattr(api, method)(url, content_type="application/json", data={} if method == "patch" else None,
                                 **outsider_api) if method == "patch" else getattr(api, method)(url, **outsider_api)
        assert r.status_code == 404, (method, url)
    assert api.get(f"{BASE}/searches", **outsider_api).json()["count"] == 0
    assert api.get(f"{BASE}/deals", **outsider_api).json()["count"] == 0
    assert api.get(f"{BASE}/collection", **outsider_api).json()["count"] == 0
    assert api.get(f"{BASE}/credentials", **outsider_api).json()["discogs"]["status"] == "not_configured"
    assert SavedSearch.objects.filter(pk=search.pk).exists()


@pytest.mark.parametrize(("payload", "field"), [
    ({"query": "x" * 20_000}, "query"),
    ({"artist": "a" * 5_000}, "artist"),
    ({"name": "n" * 121}, "name"),
    ({"title": "t" * 201}, "title"),
    ({"catno": "c" * 61}, "catno"),
    ({"barcode": "1" * 41}, "barcode"),
    ({"format": "f" * 21}, "format"),
    ({"currency": "USD\n"}, "currency"),
    ({"price_max": "-1"}, "price_max"),
    ({"price_max": "100000000"}, "price_max"),
    ({"price_max": "99999999.996"}, "price_max"),  # rounds up to 10^8 cents: the column can't hold it (was a 500)
    ({"interval_hours": 24 * 90 + 1}, "interval_hours"),
    ({"release_id": 2**63}, "release_id"),
])
def test_searches_create_rejects_input_past_the_model_limits(api, owner_api, payload, field):
    r = post(api, f"{BASE}/searches", {"name": "x", "artist": "Can", **payload}, owner_api)
    assert r.status_code == 422, r.content
    assert r.json()["detail"][0]["loc"][-1] == field
    assert not SavedSearch.objects.exists()


def test_searches_patch_rejects_over_long_text_and_keeps_the_row(api, owner_api, owner):
    search = SavedSearchFactory(user=owner, artist="The Fall")
    r = api.patch(f"{BASE}/searches/{search.pk}", data={"artist": "a" * 5_000}, content_type="application/json",
                  **owner_api)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "artist"
    search.refresh_from_db()
    assert search.artist == "The Fall"


def test_credentials_put_rejects_over_long_token(api, owner_api):
    r = api.put(f"{BASE}/credentials", data={"discogs_token": "t" * 501}, content_type="application/json", **owner_api)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "discogs_token"


def test_collection_filter_over_100_characters_is_422(api, owner_api):
    assert api.get(f"{BASE}/collection", {"q": "q" * 101}, **owner_api).status_code == 422


def test_every_digger_operation_declares_its_error_answers():
    from common.schemas import ErrorOut
    from digger.api import router

    operations = [op for view in router.path_operations.values() for op in view.operations]
    assert len(operations) >= 16
    for op in operations:
        declared = {code: op.response_models[code] for code in op.response_models if 400 <= code < 500}
        assert 401 in declared, op.view_func.__name__
        for model in declared.values():
            assert model.__annotations__["response"] is ErrorOut or "ErrorOut" in str(model.model_fields["response"].annotation), \
                op.view_func.__name__
