"""Alerts: per-want rules, once per listing, e-mail and signed webhooks, pausing a failing webhook, cart drops."""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from digger import services
from digger.models import Alert, AlertChannel, AlertDelivery, CartPlan, DiggerProfile, Notification, PriceBand, SearchRun
from integrations.webhook import client as webhook_client
from integrations.webhook.client import WebhookClient, check_url
from integrations.webhook.errors import UnsafeURL
from tests.digger.factories import CollectionItemFactory, ListingFactory, SavedSearchFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/digger"


def put_alert(auth, release_id, data):
    return Client().put(f"{BASE}/wants/{release_id}/alert", data=data, content_type="application/json", **auth)


@pytest.fixture
def wanted(owner):
    owner.email = "owner@example.org"
    owner.save()
    return CollectionItemFactory(user=owner, kind="want", release_id=372000, title="Dragnet")


def run_with(search, **fields):
    run = SearchRun.objects.create(search=search, status=SearchRun.Status.SUCCEEDED)
    listing = ListingFactory(search=search, release_id=372000, last_run=run, first_run=run, in_wantlist=True,
                             url="https://www.discogs.com/sell/item/1", **fields)
    return run, listing


def test_want_alert_put_sets_rules_and_converts_the_ceiling(owner, owner_api, wanted):
    DiggerProfile.objects.create(user=owner, currency="USD")
    r = put_alert(owner_api, 372000, {"max_price": "46", "currency": "EUR", "min_media_condition": "VG+",
                                      "min_seller_rating": "99", "steal_only": True, "alert_active": True})
    assert r.status_code == 200, r.content
    wanted.refresh_from_db()
    assert wanted.max_price == Decimal("50.00")  # 46 EUR at 0.92 per USD
    assert (wanted.min_media_condition, wanted.min_seller_rating, wanted.steal_only, wanted.alert_active) == (
        "VG+", Decimal("99.00"), True, True)


@pytest.mark.parametrize(("payload", "field"), [
    ({"min_media_condition": "EX"}, "min_media_condition"),
    ({"min_sleeve_condition": "GREAT"}, "min_sleeve_condition"),
    ({"max_price": "-3"}, "max_price"),
    ({"max_price": "10", "currency": "XYZ"}, "currency"),
    ({"currency": "US"}, "currency"),
    ({"min_seller_rating": "101"}, "min_seller_rating"),
])
def test_want_alert_put_rejects_bad_rules_with_422(owner_api, wanted, payload, field):
    r = put_alert(owner_api, 372000, payload)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == field
    wanted.refresh_from_db()
    assert wanted.max_price is None and wanted.min_media_condition == ""


def test_want_alert_put_outsider_and_unknown_release_get_404(outsider_api, owner_api, wanted):
    assert put_alert(outsider_api, 372000, {"alert_active": True}).status_code == 404
    assert put_alert(owner_api, 999, {"alert_active": True}).status_code == 404


def test_alerts_check_run_alerts_once_per_listing_by_email(owner, wanted, django_capture_on_commit_callbacks):
    wanted.alert_active, wanted.max_price = True, Decimal("40")
    wanted.save()
    AlertChannel.objects.create(user=owner, kind="email")
    search = SavedSearchFactory(user=owner)
    run, listing = run_with(search, price=Decimal("20.00"), shipping=Decimal("6.00"), media_condition="VG+",
                            seller="recordroom", seller_rating=Decimal("99.8"))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alerts_check_run(run_id=run.pk) == 1
        assert services.alerts_check_run(run_id=run.pk) == 0  # never the same listing twice
    assert Alert.objects.count() == 1 and len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "20.00 + 6.00 shipping = 26.00 USD" in body and "Grade: VG+" in body and "recordroom (99.80)" in body
    assert "Buy it: https://www.discogs.com/sell/item/1" in body and "/digger/covers/" in body
    assert AlertDelivery.objects.get().status == "sent"


@pytest.mark.parametrize(("rules", "fields"), [
    ({"max_price": Decimal("20")}, {"price": Decimal("18.00"), "shipping": Decimal("6.00")}),  # landed 24 > 20
    ({"min_media_condition": "NM"}, {"media_condition": "VG+"}),
    ({"min_seller_rating": Decimal("99.5")}, {"seller_rating": Decimal("98.0")}),
    ({"steal_only": True}, {"price": Decimal("25.00"), "media_condition": "VG+"}),
])
def test_alerts_check_run_skips_a_listing_that_breaks_a_rule(owner, wanted, rules, fields):
    for name, value in {"alert_active": True, **rules}.items():
        setattr(wanted, name, value)
    wanted.save()
    PriceBand.objects.create(release_id=372000, media_condition="VG+", currency="USD", p25=Decimal("20"),
                             p50=Decimal("25"), p75=Decimal("30"), count=8, method="quantiles", computed_at=timezone.now())
    run, _ = run_with(SavedSearchFactory(user=owner), **{"media_condition": "VG+", **fields})
    assert services.alerts_check_run(run_id=run.pk) == 0 and not Alert.objects.exists()


def test_alerts_steal_only_alerts_under_p25(owner, wanted):
    wanted.alert_active, wanted.steal_only = True, True
    wanted.save()
    PriceBand.objects.create(release_id=372000, media_condition="VG+", currency="USD", p25=Decimal("20"),
                             p50=Decimal("25"), p75=Decimal("30"), count=8, method="quantiles", computed_at=timezone.now())
    run, _ = run_with(SavedSearchFactory(user=owner), price=Decimal("12.00"), shipping=Decimal("5.00"),
                      media_condition="VG+")
    assert services.alerts_check_run(run_id=run.pk) == 1
    assert Alert.objects.get().payload["tag"] == "steal"


@pytest.mark.parametrize("url", ["http://hooks.example.org/x", "ftp://example.org/", "https://127.0.0.1/hook",
                                 "https://10.0.0.8/hook", "https://169.254.169.254/latest", "https://[::1]/x",
                                 "https://user:pw@example.org/"])
def test_alert_channel_create_refuses_unsafe_webhook_urls(owner_api, url):
    r = Client().post(f"{BASE}/alert-channels", data={"kind": "webhook", "url": url}, content_type="application/json",
                      **owner_api)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "url"
    assert not AlertChannel.objects.exists()


def test_check_url_resolves_names_before_trusting_them():
    with pytest.raises(UnsafeURL):
        check_url("https://internal.example/hook", resolve=lambda host, port: ["192.168.1.10"])
    with pytest.raises(UnsafeURL):
        check_url("https://mixed.example/hook", resolve=lambda host, port: ["93.184.216.34", "127.0.0.1"])
    check_url("https://public.example/hook", resolve=lambda host, port: ["93.184.216.34"])


def test_alert_channels_api_create_list_delete_and_outsider(owner_api, outsider_api, monkeypatch):
    monkeypatch.setattr(webhook_client, "_resolve", lambda host, port: ["93.184.216.34"])
    api = Client()
    r = api.post(f"{BASE}/alert-channels", data={"kind": "webhook", "url": "https://ntfy.example/digger"},
                 content_type="application/json", **owner_api)
    assert r.status_code == 201 and len(r.json()["secret"]) > 30
    channel_id = r.json()["id"]
    assert [c["url"] for c in api.get(f"{BASE}/alert-channels", **owner_api).json()] == ["https://ntfy.example/digger"]
    assert api.get(f"{BASE}/alert-channels", **outsider_api).json() == []
    assert api.delete(f"{BASE}/alert-channels/{channel_id}", **outsider_api).status_code == 404
    assert api.delete(f"{BASE}/alert-channels/{channel_id}", **owner_api).status_code == 204
    assert not AlertChannel.objects.exists()


@pytest.fixture
def unchecked_webhooks(monkeypatch):
    """The replay server is plain http on loopback, which check_url rightly refuses: skip the check here."""
    monkeypatch.setattr("digger.services.alerts.WebhookClient", functools.partial(WebhookClient, check=lambda url: None))


def test_webhook_delivery_posts_json_signed_with_the_users_secret(owner, wanted, replay, unchecked_webhooks,
                                                                  django_capture_on_commit_callbacks):
    wanted.alert_active = True
    wanted.save()
    replay.add("/hook", method="POST", json_body={"ok": True})
    channel = AlertChannel.objects.create(user=owner, kind="webhook", url=f"{replay.url}/hook")
    DiggerProfile.objects.create(user=owner, webhook_secret="s3cret-key")
    run, _ = run_with(SavedSearchFactory(user=owner), price=Decimal("20.00"), seller="recordroom")
    with django_capture_on_commit_callbacks(execute=True):
        services.alerts_check_run(run_id=run.pk)
    [request] = [r for r in replay.requests if r.path == "/hook"]
    payload = json.loads(request.body)
    assert payload["type"] == "digger.alert.listing" and payload["seller"] == "recordroom"
    assert payload["url"] == "https://www.discogs.com/sell/item/1" and payload["cover_url"].startswith("http")
    headers = {k.lower(): v for k, v in request.headers.items()}
    expected = hmac.new(b"s3cret-key", headers["x-stylus-timestamp"].encode() + b"." + request.body, hashlib.sha256)
    assert headers["x-stylus-signature"] == f"sha256={expected.hexdigest()}"
    assert AlertDelivery.objects.get(channel=channel).status == "sent"


def test_failing_webhook_is_paused_with_a_notice_and_nothing_is_lost(owner, wanted, replay, unchecked_webhooks,
                                                                     settings, django_capture_on_commit_callbacks):
    settings.DIGGER_WEBHOOK_MAX_FAILURES = 2
    settings.INTEGRATION_MAX_RETRIES = 0
    wanted.alert_active = True
    wanted.save()
    replay.add("/hook", method="POST", status=410, json_body={"error": "gone"}, times=2)
    replay.add("/hook", method="POST", json_body={"ok": True})
    channel = AlertChannel.objects.create(user=owner, kind="webhook", url=f"{replay.url}/hook")
    search = SavedSearchFactory(user=owner)
    for external_id in ("a", "b", "c"):
        run = SearchRun.objects.create(search=search, status=SearchRun.Status.SUCCEEDED)
        ListingFactory(search=search, release_id=372000, last_run=run, in_wantlist=True, external_id=external_id)
        with django_capture_on_commit_callbacks(execute=True):
            services.alerts_check_run(run_id=run.pk)
    channel.refresh_from_db()
    assert channel.paused_at is not None and "Paused after 2 failed deliveries" in channel.notice
    assert AlertDelivery.objects.filter(channel=channel, status="pending").count() == 3  # the third waited
    assert len([r for r in replay.requests if r.path == "/hook"]) == 2
    assert Notification.objects.filter(user=owner, kind="error", message__contains="paused").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alert_channel_resume(channel=channel) == 3
    assert AlertDelivery.objects.filter(channel=channel, status="sent").count() == 3


def test_cart_drop_beyond_the_threshold_alerts(owner, django_capture_on_commit_callbacks):
    owner.email = "owner@example.org"
    owner.save()
    AlertChannel.objects.create(user=owner, kind="email")
    previous = CartPlan.objects.create(user=owner, status="solved", landed_total=Decimal("100.00"), currency="USD")
    small = CartPlan.objects.create(user=owner, status="solved", landed_total=Decimal("95.00"), currency="USD")
    big = CartPlan.objects.create(user=owner, status="solved", landed_total=Decimal("80.00"), currency="USD",
                                  plan={"savings": "12.00", "listing_urls": []})
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alerts.alert_cart_drop(cart=small, previous=previous) is None  # 5 % < the default 10 %
        alert = services.alerts.alert_cart_drop(cart=big, previous=previous)
    assert alert is not None and alert.kind == "cart" and "dropped 20.0%" in alert.payload["title"]
    assert len(mail.outbox) == 1 and "now 80.00 USD (was 100.00)" in mail.outbox[0].body


def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def push_keys(settings):
    """A VAPID key pair for the server and a browser's subscription keys (P-256 and a 16-byte auth secret)."""
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    vapid = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = _b64(vapid.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_PUBLIC_KEY = _b64(vapid.public_key().public_bytes(serialization.Encoding.X962,
                                                                     serialization.PublicFormat.UncompressedPoint))
    browser = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    keys = {"p256dh": _b64(browser.public_key().public_bytes(serialization.Encoding.X962,
                                                             serialization.PublicFormat.UncompressedPoint)),
            "auth": _b64(auth)}
    return {"browser": browser, "auth": auth, "keys": keys}


def test_push_channel_refuses_an_unsafe_endpoint_or_bad_keys(owner_client, push_keys):
    for subscription in ({"endpoint": "http://push.example.org/x", "keys": push_keys["keys"]},
                         {"endpoint": "https://127.0.0.1/x", "keys": push_keys["keys"]},
                         {"endpoint": "https://push.example.org/x", "keys": {"p256dh": "short", "auth": "x"}}):
        r = owner_client.post("/digger/alerts/push/", data=json.dumps(subscription), content_type="application/json")
        assert r.status_code == 422 and r.json()["field"] == "subscription"
    assert not AlertChannel.objects.exists()


def test_push_delivery_sends_an_encrypted_vapid_signed_message(owner, owner_client, wanted, replay, push_keys,
                                                               monkeypatch, django_capture_on_commit_callbacks):
    import http_ece

    # The replay server is plain http on loopback, which the endpoint check rightly refuses.
    monkeypatch.setattr("digger.services.alerts.check_url", lambda url: None)
    monkeypatch.setattr("integrations.webpush.client.check_url", lambda url: None)
    replay.add("/push/browser-1", method="POST", status=201, body="")
    r = owner_client.post("/digger/alerts/push/", content_type="application/json",
                          data=json.dumps({"endpoint": f"{replay.url}/push/browser-1", "keys": push_keys["keys"]}))
    assert r.status_code == 201
    wanted.alert_active = True
    wanted.save()
    run, _ = run_with(SavedSearchFactory(user=owner), price=Decimal("20.00"), seller="recordroom")
    with django_capture_on_commit_callbacks(execute=True):
        services.alerts_check_run(run_id=run.pk)
    [request] = [r for r in replay.requests if r.path == "/push/browser-1"]
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-encoding"] == "aes128gcm" and headers["authorization"].startswith("vapid t=")
    message = json.loads(http_ece.decrypt(request.body, private_key=push_keys["browser"], auth_secret=push_keys["auth"],
                                          version="aes128gcm"))
    assert message["url"] == "https://www.discogs.com/sell/item/1" and "recordroom" in message["body"]
    assert AlertDelivery.objects.get().status == "sent"


def test_push_subscription_gone_pauses_the_channel_and_a_new_one_takes_its_alerts(
        owner, wanted, replay, push_keys, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("digger.services.alerts.check_url", lambda url: None)
    monkeypatch.setattr("integrations.webpush.client.check_url", lambda url: None)
    replay.add("/push/old", method="POST", status=410, body="gone")
    replay.add("/push/new", method="POST", status=201, body="")
    old, _ = services.alert_channel_create(user=owner, kind="push",
                                           subscription={"endpoint": f"{replay.url}/push/old", "keys": push_keys["keys"]})
    wanted.alert_active = True
    wanted.save()
    run, _ = run_with(SavedSearchFactory(user=owner))
    with django_capture_on_commit_callbacks(execute=True):
        services.alerts_check_run(run_id=run.pk)
    old.refresh_from_db()
    assert old.paused_at is not None and AlertDelivery.objects.get().status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        new, _ = services.alert_channel_create(user=owner, kind="push",
                                               subscription={"endpoint": f"{replay.url}/push/new", "keys": push_keys["keys"]})
    delivery = AlertDelivery.objects.get()
    assert delivery.channel_id == new.pk and delivery.status == "sent"
    assert not AlertChannel.objects.filter(pk=old.pk).exists()


def test_alert_ceiling_counts_the_import_duty_the_user_set(owner, wanted):
    DiggerProfile.objects.create(user=owner, duty_rates={"GB": "20"})
    wanted.alert_active, wanted.max_price = True, Decimal("30")
    wanted.save()
    search = SavedSearchFactory(user=owner)
    run, _ = run_with(search, price=Decimal("20.00"), shipping=Decimal("6.00"), seller_country="United Kingdom",
                      external_id="uk-1")
    assert services.alerts_check_run(run_id=run.pk) == 0  # 26.00 + 20 % duty = 31.20 > 30
    run, _ = run_with(search, price=Decimal("18.00"), shipping=Decimal("6.00"), seller_country="United Kingdom",
                      external_id="uk-2")
    assert services.alerts_check_run(run_id=run.pk) == 1  # 24.00 + 20 % = 28.80
    assert Alert.objects.get().payload["landed"] == "28.80"
