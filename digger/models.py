"""Digger: saved vinyl searches on Discogs and eBay, their runs and listings, the user's Discogs
collection and want list, and in-app notifications."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from common.fields import EncryptedTextField
from common.models import TimeStampedModel
from integrations.discogs.types import CONDITIONS


class Platform(models.TextChoices):
    DISCOGS = "discogs", "Discogs"
    EBAY = "ebay", "eBay"
    BOTH = "both", "Discogs and eBay"


class Condition(models.TextChoices):
    """The Discogs grading scale, best first."""

    M = CONDITIONS[0]
    NM = CONDITIONS[1]
    VG_PLUS = CONDITIONS[2]
    VG = CONDITIONS[3]
    G_PLUS = CONDITIONS[4]
    G = CONDITIONS[5]
    F = CONDITIONS[6]
    P = CONDITIONS[7]


class Location(models.TextChoices):
    ANY = "any", "Anywhere"
    US = "US", "United States"
    EU = "EU", "European Union"
    UK = "UK", "United Kingdom"


class DiggerProfile(TimeStampedModel):
    """A user's Discogs and eBay credentials (encrypted at rest) and digger preferences."""

    class Digest(models.TextChoices):
        OFF = "off", "No e-mail"
        PER_RUN = "per_run", "After each run"
        DAILY = "daily", "Daily digest"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digger_profile")
    discogs_username = models.CharField(max_length=100, blank=True)
    discogs_token = EncryptedTextField(blank=True, default="")
    ebay_client_id = EncryptedTextField(blank=True, default="")
    ebay_client_secret = EncryptedTextField(blank=True, default="")
    discogs_checked_at = models.DateTimeField(null=True, blank=True)
    discogs_check_ok = models.BooleanField(null=True, blank=True)
    discogs_check_message = models.CharField(max_length=300, blank=True)
    ebay_checked_at = models.DateTimeField(null=True, blank=True)
    ebay_check_ok = models.BooleanField(null=True, blank=True)
    ebay_check_message = models.CharField(max_length=300, blank=True)
    email_digest = models.CharField(max_length=10, choices=Digest.choices, default=Digest.OFF)
    preferred_location = models.CharField(max_length=3, choices=Location.choices, default=Location.ANY)
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    collection_synced_at = models.DateTimeField(null=True, blank=True)
    # The cart optimizer and alerts: everything is converted to `currency`; duty_rates maps a seller's
    # ISO country code to the import duty in percent the user pays on goods from there.
    currency = models.CharField(max_length=3, default="USD")
    duty_rates = models.JSONField(default=dict, blank=True)
    country_allow = models.JSONField(default=list, blank=True)
    country_block = models.JSONField(default=list, blank=True)
    min_seller_rating = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    cart_drop_alert_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("10"))
    webhook_secret = EncryptedTextField(blank=True, default="")

    def __str__(self) -> str:
        return f"Digger profile of {self.user}"


class SavedSearch(TimeStampedModel):
    """A search that runs on a schedule against Discogs and/or eBay."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digger_searches")
    name = models.CharField(max_length=120)
    query = models.CharField(max_length=200, blank=True, help_text="Free text.")
    artist = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    barcode = models.CharField(max_length=40, blank=True)
    catno = models.CharField(max_length=60, blank=True, verbose_name="catalogue number")
    release_id = models.PositiveBigIntegerField(null=True, blank=True, verbose_name="Discogs release id")
    platform = models.CharField(max_length=8, choices=Platform.choices, default=Platform.BOTH)
    price_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("0"))])
    price_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD")
    min_media_condition = models.CharField(max_length=3, choices=Condition.choices, blank=True)
    min_sleeve_condition = models.CharField(max_length=3, choices=Condition.choices, blank=True)
    format = models.CharField(max_length=20, blank=True, help_text="Vinyl, LP, 12\", 7\"… (blank: any)")
    seller_location = models.CharField(max_length=3, choices=Location.choices, default=Location.ANY)
    interval_hours = models.PositiveIntegerField(default=24, validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)
    last_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    is_demo = models.BooleanField(default=False, editable=False)  # made by load_demo; unload_demo removes it

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["active", "last_run_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def query_text(self) -> str:
        """What a text search sends: the free text, else "artist title", else the catalogue number."""
        if self.query:
            return self.query
        text = " ".join(p for p in (self.artist, self.title) if p)
        return text or self.catno or self.barcode or (str(self.release_id) if self.release_id else "")

    @property
    def platforms(self) -> list[str]:
        return [Platform.DISCOGS, Platform.EBAY] if self.platform == Platform.BOTH else [self.platform]


class SearchRun(TimeStampedModel):
    """One execution of a saved search; at most one pending or running per search (DB constraint)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partly succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Run now"
        SCHEDULED = "scheduled", "Schedule"
        COMMAND = "command", "Command"

    ACTIVE = (Status.PENDING, Status.RUNNING)

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    found = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    gone = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["search"], condition=Q(status__in=["pending", "running"]),
                                    name="digger_one_active_run_per_search"),
        ]

    def __str__(self) -> str:
        return f"{self.search} run {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 2)
        return None

    @property
    def progress(self) -> dict:
        from common.realtime import progress_context

        # The search page holds the WebSocket (group diggersearch.<search id>); pushes replace this id.
        return progress_context(dom_id=f"diggersearch-{self.search_id}", done=self.done, total=max(self.total, 1),
                                label=f"Run of “{self.search.name}”", status=self.status, message=self.message)


class Listing(TimeStampedModel):
    """One marketplace listing a search found; upserted on (search, platform, external_id)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        GONE = "gone", "Gone"

    class MatchMethod(models.TextChoices):
        NONE = "", "No match"
        RELEASE = "release_id", "Discogs release id"
        CATNO = "catno", "Catalogue number"
        BARCODE = "barcode", "Barcode"
        FUZZY = "fuzzy", "Artist and title"

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="listings")
    platform = models.CharField(max_length=8, choices=[(Platform.DISCOGS, "Discogs"), (Platform.EBAY, "eBay")])
    external_id = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    title = models.CharField(max_length=300)
    artist = models.CharField(max_length=200, blank=True)
    release_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    catno = models.CharField(max_length=60, blank=True)
    barcode = models.CharField(max_length=40, blank=True)
    format = models.CharField(max_length=120, blank=True)
    media_condition = models.CharField(max_length=3, blank=True)
    sleeve_condition = models.CharField(max_length=12, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    shipping = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    market_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    seller = models.CharField(max_length=120, blank=True, db_index=True)
    seller_rating = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    seller_ratings_count = models.PositiveIntegerField(null=True, blank=True)
    seller_country = models.CharField(max_length=60, blank=True)
    url = models.URLField(max_length=2000, blank=True)  # eBay item URLs carry long tracking parameters
    image_url = models.URLField(max_length=2000, blank=True)
    in_collection = models.BooleanField(default=False, db_index=True)
    in_wantlist = models.BooleanField(default=False, db_index=True)
    match_method = models.CharField(max_length=12, choices=MatchMethod.choices, blank=True)
    match_confidence = models.PositiveSmallIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    gone_at = models.DateTimeField(null=True, blank=True)
    first_run = models.ForeignKey(SearchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_run = models.ForeignKey(SearchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["price", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["search", "platform", "external_id"], name="digger_listing_natural_key"),
        ]

    def __str__(self) -> str:
        return f"{self.artist} – {self.title} ({self.price} {self.currency})"

    @property
    def total_price(self) -> Decimal:
        return self.price + (self.shipping or Decimal("0"))


class PriceHistory(models.Model):
    """A listing's price whenever it was first seen or changed."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="prices")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    shipping = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    recorded_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.price} {self.currency} at {self.recorded_at:%Y-%m-%d}"


class ReleasePrice(TimeStampedModel):
    """Discogs' market view of one release: price suggestions per condition and marketplace stats."""

    release_id = models.PositiveBigIntegerField(unique=True)
    currency = models.CharField(max_length=3, blank=True)
    suggestions = models.JSONField(default=dict, blank=True)  # {"VG+": "12.83", ...}
    lowest_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    num_for_sale = models.PositiveIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField()
    is_demo = models.BooleanField(default=False, editable=False)

    def __str__(self) -> str:
        return f"Market prices of release {self.release_id}"

    def suggestion(self, condition: str) -> Decimal | None:
        value = self.suggestions.get(condition)
        return Decimal(value) if value is not None else None


class CollectionItem(TimeStampedModel):
    """A release in the user's Discogs collection or want list, synced incrementally."""

    class Kind(models.TextChoices):
        COLLECTION = "collection", "Collection"
        WANT = "want", "Want list"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digger_items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    release_id = models.PositiveBigIntegerField()
    artist = models.CharField(max_length=300, blank=True)
    title = models.CharField(max_length=300)
    year = models.PositiveIntegerField(null=True, blank=True)
    format = models.CharField(max_length=200, blank=True)
    label = models.CharField(max_length=200, blank=True)
    catno = models.CharField(max_length=120, blank=True)
    thumb = models.URLField(max_length=600, blank=True)
    date_added = models.DateTimeField(null=True, blank=True)
    # Per-want buying rules (want-list items only): the cart honours the grades and must_have,
    # alerts honour all of them. max_price is landed (with shipping and duty) in the user's currency.
    must_have = models.BooleanField(default=False)
    min_media_condition = models.CharField(max_length=3, choices=Condition.choices, blank=True)
    min_sleeve_condition = models.CharField(max_length=3, choices=Condition.choices, blank=True)
    max_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("0"))])
    min_seller_rating = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    steal_only = models.BooleanField(default=False)
    alert_active = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-date_added", "artist", "title"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "release_id"], name="digger_collection_natural_key"),
        ]
        indexes = [models.Index(fields=["user", "kind", "release_id"])]

    def __str__(self) -> str:
        return f"{self.artist} – {self.title}"


class Notification(models.Model):
    """An in-app notice (new want-list matches, a failed run); e-mailed in the user's digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digger_notifications")
    kind = models.CharField(max_length=20, default="match")
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    # What the digest links to: the search and the listings the notice is about.
    search = models.ForeignKey(SavedSearch, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    listings = models.ManyToManyField(Listing, blank=True, related_name="+")
    is_demo = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.message


class ExchangeRate(models.Model):
    """Units of `currency` per 1 USD, edited by staff in the admin; settings.DIGGER_EXCHANGE_RATES fills gaps."""

    currency = models.CharField(max_length=3, unique=True)
    per_usd = models.DecimalField(max_digits=14, decimal_places=6, validators=[MinValueValidator(Decimal("0.000001"))])
    set_on = models.DateField()

    class Meta:
        ordering = ["currency"]

    def __str__(self) -> str:
        return f"1 USD = {self.per_usd} {self.currency} (set {self.set_on})"


class CartPlan(TimeStampedModel):
    """One solve of the cart optimizer: its options, the plan and whether it is proven optimal."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digger_carts")
    job = models.OneToOneField("common.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, default="pending", db_index=True)  # pending/running/solved/infeasible/failed
    options = models.JSONField(default=dict, blank=True)
    plan = models.JSONField(default=dict, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    landed_total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    optimal = models.BooleanField(default=False)
    gap = models.FloatField(null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Cart {self.pk} of {self.user} ({self.status})"


class PriceBand(models.Model):
    """P25/P50/P75 of the landed price of one release in one media grade (manage.py compute_price_bands)."""

    class Method(models.TextChoices):
        QUANTILES = "quantiles", "Plain quantiles"
        REGRESSION = "regression", "Quantile regression on time"

    release_id = models.PositiveBigIntegerField()
    media_condition = models.CharField(max_length=3)
    currency = models.CharField(max_length=3)
    p25 = models.DecimalField(max_digits=10, decimal_places=2)
    p50 = models.DecimalField(max_digits=10, decimal_places=2)
    p75 = models.DecimalField(max_digits=10, decimal_places=2)
    count = models.PositiveIntegerField()
    method = models.CharField(max_length=10, choices=Method.choices)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["release_id", "media_condition"]
        constraints = [models.UniqueConstraint(fields=["release_id", "media_condition", "currency"],
                                               name="digger_priceband_natural_key")]

    def __str__(self) -> str:
        return f"Release {self.release_id} {self.media_condition}: {self.p25}/{self.p50}/{self.p75} {self.currency}"


class AlertChannel(TimeStampedModel):
    """Where a user's alerts go: e-mail or a webhook (JSON POST signed with the user's secret)."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"
        PUSH = "push", "Browser notification"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digger_alert_channels")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    url = models.URLField(max_length=500, blank=True)  # the webhook, or the push service endpoint
    subscription = models.JSONField(default=dict, blank=True)  # push: the browser's {endpoint, keys}
    failures = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    notice = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} alerts of {self.user}"


class Alert(TimeStampedModel):
    """One alert about one marketplace listing (never twice: unique per user and listing) or a cheaper cart."""

    class Kind(models.TextChoices):
        LISTING = "listing", "Listing passes a want's rules"
        CART = "cart", "Cart total dropped"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digger_alerts")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.LISTING)
    platform = models.CharField(max_length=8, blank=True)
    external_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "platform", "external_id"], condition=Q(kind="listing"),
                                               name="digger_alert_once_per_listing")]

    def __str__(self) -> str:
        return f"{self.kind} alert {self.pk} for {self.user}"


class AlertDelivery(TimeStampedModel):
    """An alert on its way to one channel: pending until sent, kept while the channel is paused."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(AlertChannel, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["alert", "channel"], name="digger_delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"Alert {self.alert_id} to channel {self.channel_id}: {self.status}"
