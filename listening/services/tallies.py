"""All-time stats tallies (ListenTally): play counts per artist, release, track, show, hour of the week and month.

Grouping a history of 100,000 listens by track takes seconds; reading the top ten rows of an index takes
milliseconds. Tallies are folded in when stats are read, from the listens newer than the last fold (ids above
ListeningProfile.tallied_to_id), so recording and importing listens costs nothing extra. Deleting listens drops
the tallies. Every fold, and a read at least every AUDIT_EVERY, compares the tallied total with the user's listen
count (an index-only count): if they differ (a listen committed late under a lower id, a row removed behind our
back) the tallies are rebuilt. A history import also queues a fold in the background (tallies_fold_soon), so the
first stats read after importing 100,000 listens does not group them while the visitor waits.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncMonth
from django.utils import timezone

from common.types import AuthUser

from ..models import TEXT_MAX, Listen, ListeningProfile, ListenTally

UPSERT_CHUNK = 1000
UPSERT_CHUNK_ARRAYS = 20000
# Deleting through the services drops the tallies at once; the count audit catches the rest (admin deletes, a listen
# committed late under a lower id) within this long, without counting a big history on every read.
AUDIT_EVERY = dt.timedelta(minutes=10)
FOLD_QUEUED_KEY = "listening:tallies-fold-queued:{}"  # one queued background fold per user at a time
FOLD_QUEUED_TTL = 300  # seconds: a fold lost with its worker stops holding the next one back after this long
Kind = ListenTally.Kind


def _hash(*parts: str) -> str:
    return hashlib.sha1("\x00".join(parts).encode(), usedforsecurity=False).hexdigest()


def _seconds() -> Coalesce:
    return Coalesce("seconds_played", "duration_seconds", 0)


def _rows(listens: QuerySet[Listen]) -> list[tuple[str, str, str, str, int, int]]:
    """(kind, bucket, name, artist, plays, seconds) for these listens, one aggregate query per kind."""
    listens = listens.order_by()
    rows: list[tuple[str, str, str, str, int, int]] = []
    for a in listens.values("artist_name").annotate(n=Count("id"), s=Sum(_seconds())):
        rows.append((Kind.ARTIST, _hash(a["artist_name"]), a["artist_name"], "", a["n"], a["s"] or 0))
    for r in (listens.exclude(release_name="").values("release_name", "artist_name")
              .annotate(n=Count("id"), s=Sum(_seconds()))):
        rows.append((Kind.RELEASE, _hash(r["release_name"], r["artist_name"]), r["release_name"], r["artist_name"],
                     r["n"], r["s"] or 0))
    # Tracks by match_key (normalised title and artist): "Song (2011 Remaster)" and "song" are one track.
    for t in (listens.values("match_key").annotate(n=Count("id"), s=Sum(_seconds()), t=Max("track_title"),
                                                   a=Max("artist_name"))):
        rows.append((Kind.TRACK, t["match_key"] or _hash(t["t"], t["a"]), t["t"], t["a"], t["n"], t["s"] or 0))
    for w in (listens.exclude(recording_identifier="").values("recording_identifier")
              .annotate(n=Count("id"), s=Sum(_seconds()), t=Max("release_name"), a=Max("artist_name"))):
        rows.append((Kind.SHOW, w["recording_identifier"], w["t"] or w["recording_identifier"], w["a"] or "", w["n"],
                     w["s"] or 0))
    for h in (listens.annotate(h=ExtractHour("listened_at"), d=ExtractIsoWeekDay("listened_at"))
              .values("h", "d").annotate(n=Count("id"), s=Sum(_seconds()))):
        rows.append((Kind.HOUR, f"{h['d']}:{h['h']}", "", "", h["n"], h["s"] or 0))
    for m in listens.annotate(m=TruncMonth("listened_at")).values("m").annotate(n=Count("id"), s=Sum(_seconds())):
        rows.append((Kind.MONTH, m["m"].strftime("%Y-%m"), "", "", m["n"], m["s"] or 0))
    return rows


def _upsert(*, user_id: int, rows: list[tuple[str, str, str, str, int, int]]) -> None:
    # Counts add up: INSERT ... ON CONFLICT DO UPDATE with plays = plays + excluded.plays (PostgreSQL and SQLite),
    # which bulk_create(update_conflicts=True) cannot say.
    table = ListenTally._meta.db_table
    conflict = (f"ON CONFLICT (user_id, kind, bucket) DO UPDATE SET plays = {table}.plays + excluded.plays, "
                f"seconds = {table}.seconds + excluded.seconds")
    rows = [(kind, bucket[:100], name[:TEXT_MAX], artist[:TEXT_MAX], plays, seconds)
            for kind, bucket, name, artist, plays, seconds in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array per column (UNNEST): a first build writes 175,000 rows for 100,000 listens, and a VALUES
            # list with 7 placeholders a row spends most of its time formatting and parsing placeholders.
            for start in range(0, len(rows), UPSERT_CHUNK_ARRAYS):
                columns = [list(column) for column in zip(*rows[start:start + UPSERT_CHUNK_ARRAYS], strict=True)]
                cursor.execute(
                    f"INSERT INTO {table} (user_id, kind, bucket, name, artist, plays, seconds) "
                    f"SELECT %s, * FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], "
                    f"%s::bigint[], %s::bigint[]) {conflict}", [user_id, *columns])
            return
        for start in range(0, len(rows), UPSERT_CHUNK):
            chunk = rows[start:start + UPSERT_CHUNK]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for row in chunk:
                params += [user_id, *row]
            cursor.execute(f"INSERT INTO {table} (user_id, kind, bucket, name, artist, plays, seconds) "
                           f"VALUES {values} {conflict}", params)


def _last_id(*, user: AuthUser) -> int:
    # MAX over the (user, id) index reads one entry; "exists() with id > n" is planned as a scan of newer rows.
    return Listen.objects.filter(user=user).aggregate(last=Max("id"))["last"] or 0


def _fold(*, user: AuthUser, profile: ListeningProfile) -> None:
    last = _last_id(user=user)
    newer = Listen.objects.filter(user=user, pk__gt=profile.tallied_to_id, pk__lte=last)
    count = newer.count() if last > profile.tallied_to_id else 0
    if count:
        _upsert(user_id=user.pk, rows=_rows(newer))
        profile.tallied_to_id, profile.tallied_plays = last, profile.tallied_plays + count
        ListeningProfile.objects.filter(pk=profile.pk).update(tallied_to_id=profile.tallied_to_id,
                                                              tallied_plays=profile.tallied_plays)


def tallies_refresh(*, user: AuthUser) -> None:
    """Brings the user's tallies up to date with their history (one fold, or a rebuild when the totals differ)."""
    profile, _ = ListeningProfile.objects.get_or_create(user=user)
    now = timezone.now()
    audited = profile.tallies_checked_at is not None and profile.tallies_checked_at > now - AUDIT_EVERY
    if _last_id(user=user) <= profile.tallied_to_id and audited:
        return  # up to date: one index entry read, no lock
    with transaction.atomic():
        # One fold at a time per user: two at once would count the same new listens twice.
        profile = ListeningProfile.objects.select_for_update().get(user=user)
        _fold(user=user, profile=profile)
        total = Listen.objects.filter(user=user).count()
        if total > profile.tallied_plays:  # listens that arrived during the fold: fold once more
            _fold(user=user, profile=profile)
            total = Listen.objects.filter(user=user).count()
        if profile.tallied_plays != total:
            _reset(user=user)
            profile.tallied_to_id = profile.tallied_plays = 0
            _fold(user=user, profile=profile)
        ListeningProfile.objects.filter(pk=profile.pk).update(tallies_checked_at=now)


def _reset(*, user: AuthUser) -> None:
    ListenTally.objects.filter(user=user).delete()
    ListeningProfile.objects.filter(user=user).update(tallied_to_id=0, tallied_plays=0, tallies_checked_at=None)


def tallies_drop(*, user: AuthUser) -> None:
    """Forgets the user's tallies after listens were deleted; the next stats read rebuilds them."""
    with transaction.atomic():
        _reset(user=user)


def tallies_fold_soon(*, user_id: int) -> None:
    """After an import batch commits, folds the new listens in the background; a fold already queued covers
    every batch that lands before it starts, so an import of a hundred batches queues a handful of folds."""
    from .. import tasks

    if cache.add(FOLD_QUEUED_KEY.format(user_id), 1, timeout=FOLD_QUEUED_TTL):
        transaction.on_commit(lambda: tasks.tallies_fold_task.delay(user_id))


def tallies_fold_queued(*, user_id: int) -> None:
    """The queued fold: cleared first, so batches committed while it runs queue the next one."""
    cache.delete(FOLD_QUEUED_KEY.format(user_id))
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:  # the account was deleted meanwhile: nothing to fold
        tallies_refresh(user=user)
