"""Digger API under /api/v1/digger/: saved searches, runs, results, deals, collection, sync, credentials."""
from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from common.api import Pagination, auth_required, external_throttle, request_user
from common.exceptions import InvalidInput
from common.schemas import errors
from common.types import AuthUser

from . import selectors, services
from .models import CartPlan
from .schemas import (
    AlertChannelCreatedOut,
    AlertChannelIn,
    AlertChannelOut,
    CartIn,
    CartOut,
    CollectionItemOut,
    CredentialsIn,
    CredentialsOut,
    DealOut,
    ListingOut,
    PriceBandOut,
    RunOut,
    SavedSearchIn,
    SavedSearchOut,
    SavedSearchPatch,
    SyncOut,
    TestOut,
    WantAlertIn,
    WantAlertOut,
)

router = Router(tags=["Digger"])


def _user(request: HttpRequest) -> AuthUser:
    """The caller; every operation here is auth_required, so there is always one."""
    user = request_user(request)
    assert user is not None
    return user


FILTER_MAX = 100  # the pages cut the same filters at 100 characters


@router.get("/searches", response={200: list[SavedSearchOut], **errors(401, 422)}, auth=auth_required,
            summary="Your saved searches")
@paginate(Pagination)
def searches_list(request: HttpRequest):
    return selectors.search_list_for_user(user=_user(request))


@router.post("/searches", response={201: SavedSearchOut, **errors(401, 422)}, auth=auth_required, summary="Create a saved search")
def searches_create(request: HttpRequest, payload: SavedSearchIn):
    return Status(201, services.search_create(user=_user(request), data=payload.dict()))


@router.get("/searches/{search_id}", response={200: SavedSearchOut, **errors(401, 404)}, auth=auth_required, summary="One saved search")
def searches_get(request: HttpRequest, search_id: int):
    return selectors.search_get_for_user(user=_user(request), search_id=search_id)


@router.patch("/searches/{search_id}", response={200: SavedSearchOut, **errors(401, 404, 422)}, auth=auth_required, summary="Update a saved search")
def searches_update(request: HttpRequest, search_id: int, payload: SavedSearchPatch):
    search = selectors.search_get_for_user(user=_user(request), search_id=search_id)
    return services.search_update(search=search, data=payload.dict(exclude_unset=True))


@router.put("/searches/{search_id}", response={200: SavedSearchOut, **errors(401, 404, 422)}, auth=auth_required, summary="Replace a saved search")
def searches_replace(request: HttpRequest, search_id: int, payload: SavedSearchIn):
    search = selectors.search_get_for_user(user=_user(request), search_id=search_id)
    return services.search_update(search=search, data=payload.dict())


@router.delete("/searches/{search_id}", response={204: None, **errors(401, 404)}, auth=auth_required,
               summary="Delete a saved search")
def searches_delete(request: HttpRequest, search_id: int):
    services.search_delete(search=selectors.search_get_for_user(user=_user(request), search_id=search_id))
    return Status(204, None)


@router.post("/searches/{search_id}/run", response={202: RunOut, **errors(401, 404, 409, 429)},
             auth=auth_required, throttle=external_throttle(),
             summary="Run a saved search now (409 if one is already running)")
def searches_run(request: HttpRequest, search_id: int):
    search = selectors.search_get_for_user(user=_user(request), search_id=search_id)
    return Status(202, services.search_run_request(search=search))


@router.get("/searches/{search_id}/runs", response={200: list[RunOut], **errors(401, 404, 422)},
            auth=auth_required, summary="Run history")
@paginate(Pagination)
def searches_runs(request: HttpRequest, search_id: int):
    return selectors.search_get_for_user(user=_user(request), search_id=search_id).runs.all()


@router.get("/searches/{search_id}/results", response={200: list[ListingOut], **errors(401, 404, 422)}, auth=auth_required,
            summary="A search's listings (sort: price, -price, title, seller, condition, new, match)")
@paginate(Pagination)
def searches_results(request: HttpRequest, search_id: int, sort: str = Query("price", max_length=FILTER_MAX),
                     platform: str = Query("", max_length=FILTER_MAX),
                     status: str = Query("active", max_length=FILTER_MAX), wanted: bool = False):
    search = selectors.search_get_for_user(user=_user(request), search_id=search_id)
    if sort not in selectors.RESULT_SORTS:
        raise InvalidInput(f"sort is one of {', '.join(selectors.RESULT_SORTS)}.", field="sort")
    return selectors.listing_results(search=search, sort=sort, platform=platform, status=status, wanted=wanted)


@router.get("/deals", response={200: list[DealOut], **errors(401, 422)}, auth=auth_required,
            summary="Deals grouped by seller, best first")
@paginate(Pagination)
def deals_list(request: HttpRequest, wanted: bool = False):
    deals = selectors.deals_for_user(user=_user(request), wanted_only=wanted)
    return [{**deal.__dict__, "summary": f"Buy {len(deal.items)} from {deal.seller}: total with shipping "
                                         f"{deal.total} {deal.currency}",
             "items": [item.__dict__ for item in deal.items]} for deal in deals]


@router.get("/collection", response={200: list[CollectionItemOut], **errors(401, 422)}, auth=auth_required,
            summary="Your synced Discogs collection")
@paginate(Pagination)
def collection_list(request: HttpRequest, q: str = Query("", max_length=FILTER_MAX)):
    return selectors.collection_for_user(user=_user(request), kind="collection", q=q)


@router.get("/wantlist", response={200: list[CollectionItemOut], **errors(401, 422)}, auth=auth_required,
            summary="Your synced Discogs want list")
@paginate(Pagination)
def wantlist_list(request: HttpRequest, q: str = Query("", max_length=FILTER_MAX)):
    return selectors.collection_for_user(user=_user(request), kind="want", q=q)


@router.post("/sync", response={202: SyncOut, **errors(401, 422, 429)}, auth=auth_required,
             throttle=external_throttle(),
             summary="Sync collection and want list from Discogs")
def sync_start(request: HttpRequest):
    user = _user(request)
    status = selectors.credentials_status(user=user)["discogs"]
    if status["status"] != "configured" or not status["username"]:
        raise InvalidInput("Discogs is not configured: set discogs_username and discogs_token first.",
                           field="discogs_token")
    job = services.collection_sync_request(user=user)
    return Status(202, {"job_id": job.pk, "status": job.status, "progress_ws": f"/ws/progress/job/{job.pk}/"})


@router.get("/credentials", response={200: CredentialsOut, **errors(401)}, auth=auth_required,
            summary="Credential status (masked)")
def credentials_get(request: HttpRequest):
    return selectors.credentials_status(user=_user(request))


@router.put("/credentials", response={200: CredentialsOut, **errors(401, 422)}, auth=auth_required,
            summary="Set credentials (write-only: reads come back masked)")
def credentials_put(request: HttpRequest, payload: CredentialsIn):
    user = _user(request)
    services.credentials_update(user=user, **payload.dict())
    return selectors.credentials_status(user=user)


@router.post("/credentials/{service}/test", response={200: TestOut, **errors(401, 422, 429)}, auth=auth_required,
             throttle=external_throttle(),
             summary="Test connection (discogs or ebay)")
def credentials_test(request: HttpRequest, service: str):
    if service not in ("discogs", "ebay"):
        raise InvalidInput("service is discogs or ebay.", field="service")
    ok, message = services.credentials_test(user=_user(request), service=service)
    return {"ok": ok, "detail": message}


# -- cart optimizer, price bands, alerts ----------------------------------------------------------------------------
def _cart_out(cart: CartPlan) -> dict:
    return {"id": cart.pk, "status": cart.status, "created_at": cart.created_at, "currency": cart.currency,
            "landed_total": cart.landed_total, "optimal": cart.optimal, "gap": cart.gap, "job_id": cart.job_id,
            "progress_ws": f"/ws/progress/job/{cart.job_id}/" if cart.job_id else "", "plan": cart.plan}


@router.post("/cart", response={202: CartOut, **errors(401, 422)}, auth=auth_required,
             summary="Find the cheapest cart for your want list (starts a job; GET /cart/latest has the plan)")
def cart_start(request: HttpRequest, payload: CartIn):
    options = services.cart_options_clean(**payload.dict())
    return Status(202, _cart_out(services.cart_request(user=_user(request), options=options)))


@router.get("/cart/latest", response={200: CartOut, **errors(401, 404)}, auth=auth_required,
            summary="Your latest cart plan (status pending/running until solved; infeasible says so)")
def cart_latest(request: HttpRequest):
    cart = selectors.cart_latest_for_user(user=_user(request))
    if cart is None:
        raise Http404("No cart plan yet: POST /api/v1/digger/cart.")
    return _cart_out(cart)


@router.get("/releases/{release_id}/price-bands", response={200: list[PriceBandOut], **errors(401, 422)},
            auth=auth_required, summary="Fair-price bands (P25/P50/P75 landed) per media grade")
def release_price_bands(request: HttpRequest, release_id: int):
    if not 1 <= release_id < 2**63:
        raise InvalidInput("A Discogs release id is a positive number.", field="release_id")
    return selectors.price_bands_for_release(release_id=release_id)


@router.put("/wants/{release_id}/alert", response={200: WantAlertOut, **errors(401, 404, 422)}, auth=auth_required,
            summary="Set a want's alert and buying rules (ceiling landed, grades, seller rating, steal only)")
def want_alert_put(request: HttpRequest, release_id: int, payload: WantAlertIn):
    return services.want_alert_update(user=_user(request), release_id=release_id,
                                      data=payload.dict(exclude_unset=True))


@router.get("/alert-channels", response={200: list[AlertChannelOut], **errors(401)}, auth=auth_required,
            summary="Your alert channels")
def alert_channels_list(request: HttpRequest):
    return selectors.alert_channels_for_user(user=_user(request))


@router.post("/alert-channels", response={201: AlertChannelCreatedOut, **errors(401, 422)}, auth=auth_required,
             summary="Add an e-mail, webhook (https, public addresses only) or web push channel; resumes a paused one")
def alert_channels_create(request: HttpRequest, payload: AlertChannelIn):
    subscription = payload.subscription.dict() if payload.subscription else None
    channel, secret = services.alert_channel_create(user=_user(request), kind=payload.kind, url=payload.url,
                                                    subscription=subscription)
    return Status(201, {**AlertChannelOut.from_orm(channel).dict(), "secret": secret})


@router.delete("/alert-channels/{channel_id}", response={204: None, **errors(401, 404)}, auth=auth_required,
               summary="Remove an alert channel")
def alert_channels_delete(request: HttpRequest, channel_id: int):
    services.alert_channel_delete(user=_user(request), channel_id=channel_id)
    return Status(204, None)
