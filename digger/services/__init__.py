"""Writes for digger, split by what the parts do; every public name is re-exported here so callers
keep importing `digger.services`.

- credentials: the user's Discogs and eBay credentials and preferences;
- searches: saved searches and queueing their runs;
- runs: running a search (fetch, match, store, notify);
- collection: collection and want-list sync;
- notifications: in-app notifications and the e-mail digest;
- cart: the cart optimizer (a MILP, see digger/optimizer.py) run as a job;
- bands: fair-price bands (see digger/bands.py);
- alerts: per-want alert rules, channels and delivery.
"""
from __future__ import annotations

from .alerts import (
    alert_channel_create,
    alert_channel_delete,
    alert_channel_resume,
    alert_deliver,
    alerts_check_run,
    want_alert_update,
)
from .bands import price_bands_compute
from .cart import CartOptions, cart_compute, cart_options_clean, cart_request, cart_set_preferences, cart_solve
from .collection import collection_sync_request, collection_sync_run, listings_rematch
from .credentials import (
    SECRET_FIELDS,
    credentials_rotate,
    credentials_test,
    credentials_update,
    discogs_client_for,
    discogs_lookup,
    ebay_client_for,
    profile_get_or_create,
)
from .notifications import digest_send, digests_send_daily, notification_create, notifications_mark_read
from .runs import (
    EBAY_CONDITION_CODES,
    EBAY_CONDITIONS,
    EBAY_LOCATION,
    LISTING_UPDATE_FIELDS,
    ListingData,
    RunTimeLimit,
    matcher_for_user,
    publish_run_progress,
    run_report_text,
    search_run_execute,
    search_run_fail,
    search_run_now,
)
from .runs import (
    _store_platform as _store_platform,  # a patch point for the fault drills (see runs.search_run_execute)
)
from .searches import (
    SEARCH_FIELDS,
    search_clean,
    search_create,
    search_delete,
    search_run_request,
    search_update,
    searches_queue_due,
)

__all__ = [
    "CartOptions", "alert_channel_create", "alert_channel_delete", "alert_channel_resume", "alert_deliver",
    "alerts_check_run", "cart_compute", "cart_options_clean", "cart_request", "cart_set_preferences", "cart_solve",
    "price_bands_compute", "want_alert_update",
    "EBAY_CONDITIONS", "EBAY_CONDITION_CODES", "EBAY_LOCATION", "LISTING_UPDATE_FIELDS", "SEARCH_FIELDS",
    "SECRET_FIELDS", "ListingData", "RunTimeLimit", "collection_sync_request", "collection_sync_run",
    "credentials_rotate", "credentials_test", "credentials_update", "digest_send", "digests_send_daily",
    "discogs_client_for", "discogs_lookup", "ebay_client_for", "listings_rematch", "matcher_for_user",
    "notification_create", "notifications_mark_read", "profile_get_or_create", "publish_run_progress",
    "run_report_text", "search_clean", "search_create", "search_delete", "search_run_execute", "search_run_fail",
    "search_run_now", "search_run_request", "search_update", "searches_queue_due",
]
