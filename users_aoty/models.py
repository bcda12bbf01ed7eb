"""AOTY user profiles: identity, counts, favourites, recent ratings and the rating distribution."""
from __future__ import annotations

from django.db import models
from django.urls import reverse

from common.models import TimeStampedModel


class AotyUser(TimeStampedModel):
    username = models.CharField(max_length=150, unique=True, help_text="The slug in /user/<username>/.")
    display_name = models.CharField(max_length=150, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    location = models.CharField(max_length=200, blank=True)
    about = models.TextField(blank=True)
    member_since = models.CharField(max_length=60, blank=True)
    ratings_count = models.PositiveIntegerField(default=0)
    reviews_count = models.PositiveIntegerField(default=0)
    lists_count = models.PositiveIntegerField(default=0)
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    rating_distribution = models.JSONField(default=dict, blank=True, help_text="{bucket label: count}")
    social_links = models.JSONField(default=dict, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    view_count = models.PositiveIntegerField(default=0)
    is_demo = models.BooleanField(default=False, db_index=True, help_text="Loaded by `load_demo`; removed by `unload_demo`.")

    class Meta:
        ordering = ["username"]
        verbose_name = "AOTY user"

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("users_aoty:detail", args=[self.username])


class AotyUserFavorite(models.Model):
    aoty_user = models.ForeignKey(AotyUser, on_delete=models.CASCADE, related_name="favorites")
    album = models.ForeignKey("albums.Album", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["aoty_user", "album"], name="users_aoty_favorite_unique")]

    def __str__(self) -> str:
        return f"{self.aoty_user_id} ♥ {self.album_id}"


class AotyUserRating(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", "Rating"
        REVIEW = "review", "Review"

    aoty_user = models.ForeignKey(AotyUser, on_delete=models.CASCADE, related_name="ratings")
    album = models.ForeignKey("albums.Album", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.RATING)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    date_text = models.CharField(max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position"]
        constraints = [models.UniqueConstraint(fields=["aoty_user", "album", "kind"], name="users_aoty_rating_unique")]

    def __str__(self) -> str:
        return f"{self.aoty_user_id} {self.kind} {self.album_id}: {self.rating}"
