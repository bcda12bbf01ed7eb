"""Albums scraped from albumoftheyear.org: artists, albums, tracks, reviews, similar albums, discovery lists.

Every scraped row records when it was fetched (`fetched_at`); rows known only from a link on
another page (a similar album, a grid entry) are stubs with `fetched_at` empty until their own
page is fetched. AOTY ids are the natural keys, so re-scraping updates in place.
"""
from __future__ import annotations

from django.db import models
from django.urls import reverse

from common.models import TimeStampedModel


class Artist(TimeStampedModel):
    aoty_id = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    name = models.CharField(max_length=300, db_index=True)
    slug = models.SlugField(max_length=300, blank=True, allow_unicode=True)
    url = models.URLField(max_length=500, blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    is_demo = models.BooleanField(default=False, db_index=True, help_text="Made up by `load_demo`; removed by `unload_demo`.")

    class Meta:
        ordering = ["name"]
        constraints = [
            # Artists without an AOTY id (plain names on upcoming grids) are unique by name.
            models.UniqueConstraint(fields=["name"], condition=models.Q(aoty_id__isnull=True), name="albums_artist_name_no_id"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("albums:artist", args=[self.pk])


class Genre(models.Model):
    name = models.CharField(max_length=120, unique=True)
    aoty_id = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    name = models.CharField(max_length=200)
    aoty_id = models.PositiveIntegerField(unique=True, null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Album(TimeStampedModel):
    aoty_id = models.PositiveBigIntegerField(unique=True)
    slug = models.SlugField(max_length=300, blank=True, allow_unicode=True)
    url = models.URLField(max_length=500, blank=True)
    title = models.CharField(max_length=400, db_index=True)
    artist_name = models.CharField(max_length=400, blank=True, db_index=True, help_text="Display credit, as AOTY shows it.")
    artists = models.ManyToManyField(Artist, related_name="albums", blank=True)
    release_date = models.DateField(null=True, blank=True)
    release_date_text = models.CharField(max_length=60, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    album_type = models.CharField(max_length=60, blank=True)
    labels = models.ManyToManyField(Label, related_name="albums", blank=True)
    genres = models.ManyToManyField(Genre, through="AlbumGenre", related_name="albums", blank=True)
    tags = models.JSONField(default=list, blank=True)
    cover_url = models.URLField(max_length=500, blank=True, help_text="AOTY's image; never shown directly.")
    cover_file = models.FileField(upload_to="covers/albums/", max_length=200, blank=True,
                                  help_text="The stored copy pages serve (albums.services.album_cover_store).")
    cover_source_url = models.URLField(max_length=500, blank=True, help_text="The cover_url the stored copy came from.")
    critic_score = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    critic_score_exact = models.FloatField(null=True, blank=True)
    critic_count = models.PositiveIntegerField(null=True, blank=True)
    user_score = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    user_score_exact = models.FloatField(null=True, blank=True)
    user_count = models.PositiveIntegerField(null=True, blank=True)
    must_hear = models.BooleanField(default=False)
    total_length_text = models.CharField(max_length=60, blank=True)
    links = models.JSONField(default=list, blank=True, help_text="[{name, url, kind: buy|stream}]")
    stats = models.JSONField(default=dict, blank=True)
    credits = models.JSONField(default=dict, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="When the album page was last scraped.")
    similar_fetched_at = models.DateTimeField(null=True, blank=True)
    extras_fetched_at = models.DateTimeField(null=True, blank=True, help_text="When stats and credits were last fetched.")
    view_count = models.PositiveIntegerField(default=0, db_index=True)
    is_demo = models.BooleanField(default=False, db_index=True, help_text="Loaded by `load_demo`; removed by `unload_demo`.")
    similar = models.ManyToManyField("self", through="SimilarAlbum", symmetrical=False, related_name="similar_to", blank=True)

    class Meta:
        ordering = ["-release_date", "title"]
        indexes = [models.Index(fields=["fetched_at", "view_count"])]

    def __str__(self) -> str:
        return f"{self.artist_name} - {self.title}" if self.artist_name else self.title

    def get_absolute_url(self) -> str:
        return reverse("albums:detail", args=[self.pk])

    @property
    def is_stub(self) -> bool:
        return self.fetched_at is None

    @property
    def buy_links(self) -> list[dict]:
        return [link for link in self.links if link.get("kind") == "buy"]

    @property
    def stream_links(self) -> list[dict]:
        return [link for link in self.links if link.get("kind") == "stream"]


class AlbumGenre(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE)
    genre = models.ForeignKey(Genre, on_delete=models.CASCADE)
    primary = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-primary", "position"]
        constraints = [models.UniqueConstraint(fields=["album", "genre"], name="albums_albumgenre_unique")]

    def __str__(self) -> str:
        return f"{self.genre_id} ({'primary' if self.primary else 'secondary'})"


class Track(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="tracks")
    disc = models.PositiveSmallIntegerField(default=1)
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=400)
    length_seconds = models.PositiveIntegerField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_count = models.PositiveIntegerField(null=True, blank=True)
    featured_artists = models.JSONField(default=list, blank=True)
    notes = models.CharField(max_length=200, blank=True)
    aoty_song_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["disc", "number"]
        constraints = [models.UniqueConstraint(fields=["album", "disc", "number"], name="albums_track_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def length_text(self) -> str:
        if self.length_seconds is None:
            return ""
        minutes, seconds = divmod(self.length_seconds, 60)
        return f"{minutes}:{seconds:02d}"


class CriticReview(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="critic_reviews")
    aoty_id = models.PositiveBigIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    publication = models.CharField(max_length=200)
    publication_url = models.URLField(max_length=500, blank=True)
    author = models.CharField(max_length=200, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    excerpt = models.TextField(blank=True)
    url = models.URLField(max_length=1000, blank=True)
    date_text = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.publication}: {self.score}"


class UserReview(models.Model):
    class Section(models.TextChoices):
        POPULAR = "popular", "Popular"
        RECENT = "recent", "Recent"

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="user_reviews")
    aoty_id = models.PositiveBigIntegerField(null=True, blank=True)
    section = models.CharField(max_length=10, choices=Section.choices, default=Section.POPULAR)
    position = models.PositiveSmallIntegerField(default=0)
    username = models.CharField(max_length=150)
    display_name = models.CharField(max_length=150, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    likes = models.PositiveIntegerField(default=0)
    date_text = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["section", "position"]

    def __str__(self) -> str:
        return f"{self.username}: {self.rating}"


class SimilarAlbum(models.Model):
    """'You May Also Like': from_album's page lists to_album at `position`."""

    from_album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="similar_links")
    to_album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["from_album", "to_album"], name="albums_similar_unique")]

    def __str__(self) -> str:
        return f"{self.from_album_id} -> {self.to_album_id}"


class DiscoveryList(TimeStampedModel):
    """A scraped grid or ranked list: new releases, upcoming, must-hear, discover pages, publication lists."""

    class Kind(models.TextChoices):
        GRID = "grid", "Album grid"
        RANKED = "ranked", "Ranked list"

    key = models.CharField(max_length=200, unique=True, help_text="e.g. releases, upcoming, must-hear/2020s, list/2618")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.GRID)
    title = models.CharField(max_length=300)
    path = models.CharField(max_length=300, help_text="AOTY path of page 1")
    source_url = models.URLField(max_length=500, blank=True)
    pages_fetched = models.PositiveSmallIntegerField(default=0)
    has_more = models.BooleanField(default=False)
    fetched_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False, db_index=True, help_text="Loaded by `load_demo`; removed by `unload_demo`.")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.title


class DiscoveryEntry(models.Model):
    discovery_list = models.ForeignKey(DiscoveryList, on_delete=models.CASCADE, related_name="entries")
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="discovery_entries")
    page = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveIntegerField()
    rank = models.PositiveIntegerField(null=True, blank=True)
    date_text = models.CharField(max_length=60, blank=True)
    blurb = models.TextField(blank=True)
    review_url = models.URLField(max_length=1000, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["discovery_list", "album"], name="albums_entry_unique")]

    def __str__(self) -> str:
        return f"#{self.rank or self.position} album {self.album_id}"


class ScrapeLog(models.Model):
    class Status(models.TextChoices):
        OK = "ok", "OK"
        BLOCKED = "blocked", "Blocked"
        NOT_FOUND = "not_found", "Not found"
        PARSE_ERROR = "parse_error", "Parse error"
        ERROR = "error", "Error"

    url = models.CharField(max_length=1000)
    kind = models.CharField(max_length=30, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    fetcher = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.status} {self.url}"
