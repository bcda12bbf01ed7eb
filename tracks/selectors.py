"""Reads for tracks: permission-checked lookups, lists with filters, the dashboard, stats and search."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from common.types import AnyUser, AuthUser

from . import achievements as catalogue
from .achievements import TrackerStats
from .models import (
    Achievement,
    Activity,
    AlbumSeries,
    Collaboration,
    Pack,
    Song,
    SongStep,
    Status,
    TrackerProfile,
    WorkflowStep,
)
from .permissions import Role, pack_role, require, song_role, visible_packs_q, visible_songs_q

if TYPE_CHECKING:
    from .types import PackDetail, SongDetail, SongRow, SongWithProgress

SONG_SORTS: dict[str, list[str]] = {
    "priority": ["priority", "artist", "title", "id"],
    "title": ["title", "artist", "id"],
    "artist": ["artist", "title", "id"],
    "status": ["status", "priority", "id"],
    "updated": ["-updated_at", "-id"],
    "created": ["-created_at", "-id"],
    "year": ["-year", "artist", "id"],
    "progress": ["-steps_pct", "priority", "id"],
}


def normalise_title(text: str) -> str:
    """Lower case, accents and bracketed suffixes ("- Remastered 2011", "(Live)") dropped, for matching."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    text = re.sub(r"\s+-\s+.*(remaster|version|mix|edit|live|mono|stereo).*$", "", text, flags=re.I)
    text = re.sub(r"[\(\[].*?[\)\]]", "", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


# -- songs --------------------------------------------------------------------------------------
def _with_progress(qs: QuerySet[Song]) -> QuerySet[SongWithProgress]:
    """Annotates steps_total, steps_done and steps_pct (one grouped join) for sorting and aggregates.

    Plain lists leave these out and call attach_progress() on the page they show instead: the
    database then never computes progress for rows it will not return.
    """
    qs = qs.annotate(steps_total=Count("steps"), steps_done=Count("steps", filter=Q(steps__done=True)))
    # Integer percent rounded to nearest; songs without steps are 0 (Future Plans). Released shows 100 in templates.
    return qs.annotate(steps_pct=Case(When(steps_total=0, then=Value(0)),
                                      default=(F("steps_done") * 100 + F("steps_total") / 2) / F("steps_total"),
                                      output_field=IntegerField()))


def _percent(done: int, total: int) -> int:
    return (done * 100 + total // 2) // total if total else 0


def _steps_prefetched(song: Song) -> bool:
    # Django keeps prefetched relations in this cache; it has no public "is it prefetched?" call.
    prefetched: dict[str, Any] = getattr(song, "_prefetched_objects_cache", {})
    return "steps" in prefetched


def _set_progress(song: Song, *, total: int, done: int) -> None:
    row = cast("SongWithProgress", song)  # the same object: it gets the three attributes right here
    row.steps_total, row.steps_done, row.steps_pct = total, done, _percent(done, total)


def attach_progress(songs: Iterable[Song]) -> list[SongWithProgress]:
    """Sets steps_total, steps_done and steps_pct on already-fetched songs: from prefetched steps when
    present, else with one grouped query for the whole page."""
    songs = list(songs)
    missing = [s for s in songs if not hasattr(s, "steps_pct")]
    for song in missing:
        if _steps_prefetched(song):
            boxes = song.steps.all()  # served from the prefetch cache, no query
            _set_progress(song, total=len(boxes), done=sum(1 for b in boxes if b.done))
    rest = [s for s in missing if not _steps_prefetched(s)]
    if rest:
        rows = (SongStep.objects.filter(song_id__in=[s.pk for s in rest]).order_by().values("song_id")
                .annotate(total=Count("id"), done=Count("id", filter=Q(done=True))))
        by_song = {r["song_id"]: (r["total"], r["done"]) for r in rows}
        for song in rest:
            total, done = by_song.get(song.pk, (0, 0))
            _set_progress(song, total=total, done=done)
    # Every song now carries the three attributes: annotated by its query, or set just above.
    return cast("list[SongWithProgress]", songs)


def attach_roles(*, user: AuthUser, songs: list[SongWithProgress]) -> list[SongRow]:
    """Sets song.can_edit on a fetched page with one query (greys out inline edits for view-only rows)."""
    shared = [s for s in songs if s.owner_id != user.pk]
    song_ids: set[int] = set()
    pack_ids: set[int] = set()
    if shared:
        rows = Collaboration.objects.filter(
            Q(song_id__in=[s.pk for s in shared], permission=Collaboration.Permission.SONG_EDIT)
            | Q(pack_id__in={s.pack_id for s in shared if s.pack_id}, permission=Collaboration.Permission.PACK_EDIT),
            user=user, state=Collaboration.State.ACCEPTED).values_list("song_id", "pack_id")
        for song_id, pack_id in rows:
            if song_id:
                song_ids.add(song_id)
            else:
                pack_ids.add(pack_id)
    out = [cast("SongRow", song) for song in songs]  # the same objects: each gets can_edit right below
    for row in out:
        row.can_edit = row.owner_id == user.pk or row.pk in song_ids or row.pack_id in pack_ids
    return out


def song_list(*, user: AuthUser, status: str | None = None, pack_id: int | None = None, artist: str | None = None,
              search: str | None = None, album_series_id: int | None = None, scope: str = "all",
              sort: str = "priority", with_steps: bool = False) -> QuerySet[Song]:
    """Songs the user may see, filtered and sorted; a fixed number of queries however many rows.

    Progress figures come from attach_progress() on the fetched page, or from annotations when
    sorting by progress (or from song_list_with_progress()).
    """
    if scope == "mine":
        qs = Song.objects.filter(owner=user)
    elif scope == "shared":
        qs = Song.objects.filter(visible_songs_q(user)).exclude(owner=user)
    else:
        qs = Song.objects.filter(visible_songs_q(user))
    if status:
        qs = qs.filter(status=status)
    if pack_id:
        qs = qs.filter(pack_id=pack_id)
    if album_series_id:
        qs = qs.filter(album_series_id=album_series_id)
    if artist:
        qs = qs.filter(artist__iexact=artist.strip())
    if search and search.strip():
        term = search.strip()
        qs = qs.filter(Q(title__icontains=term) | Q(artist__icontains=term) | Q(album__icontains=term))
    qs = qs.select_related("pack", "album_series", "owner")
    if sort == "progress":
        qs = _with_progress(qs)
    if with_steps:
        qs = qs.prefetch_related(Prefetch("steps", queryset=SongStep.objects.select_related("step")))
    return qs.order_by(*SONG_SORTS.get(sort, SONG_SORTS["priority"]))


def song_list_with_progress(*, user: AuthUser, status: str | None = None) -> QuerySet[SongWithProgress]:
    """The user's own songs (optionally of one status), annotated with progress for sorting and aggregates."""
    return _with_progress(song_list(user=user, status=status, scope="mine"))


def song_get_for_user(*, user: AuthUser, song_id: int, need: Role = Role.VIEWER) -> SongDetail:
    """A song the user may see (404 otherwise) and, for edits, change (403 otherwise). Sets song.role."""
    song = (Song.objects.select_related("pack", "album_series", "owner")
            .prefetch_related(Prefetch("steps", queryset=SongStep.objects.select_related("step")))
            .filter(pk=song_id).first())
    if song is None:
        raise Http404("No such song.")
    role = song_role(user=user, song=song)
    require(role, need, what="song")
    detail = cast("SongDetail", attach_progress([song])[0])  # the same object: it gets its role right below
    detail.role = role
    return detail


def songs_by_ids_for_user(*, user: AuthUser, song_ids: list[int], need: Role = Role.EDITOR) -> list[Song]:
    """All the songs for a bulk action, or Http404/PermissionDenied naming the first that fails."""
    songs = {s.pk: s for s in Song.objects.filter(pk__in=song_ids).select_related("pack")}
    ordered = []
    for song_id in dict.fromkeys(song_ids):
        song = songs.get(song_id)
        if song is None:
            raise Http404(f"No such song: {song_id}.")
        require(song_role(user=user, song=song), need, what="song")
        ordered.append(song)
    return ordered


def song_artists(*, user: AuthUser) -> list[str]:
    return list(Song.objects.filter(owner=user).order_by("artist").values_list("artist", flat=True).distinct()[:500])


# -- workflow ------------------------------------------------------------------------------------
def workflow_steps(*, user: AuthUser) -> list[WorkflowStep]:
    return list(WorkflowStep.objects.filter(user=user).order_by("position", "id"))


# -- packs -----------------------------------------------------------------------------------------
def pack_list(*, user: AuthUser, status: str | None = None, search: str | None = None) -> QuerySet[Pack]:
    """Packs the user may see, with song counts by status."""
    qs = Pack.objects.filter(visible_packs_q(user)).select_related("owner").annotate(
        song_count=Count("songs", distinct=True),
        released_count=Count("songs", filter=Q(songs__status=Status.RELEASED), distinct=True),
        in_progress_count=Count("songs", filter=Q(songs__status=Status.IN_PROGRESS), distinct=True),
    )
    if status:
        qs = qs.filter(status=status)
    if search and search.strip():
        qs = qs.filter(name__icontains=search.strip())
    return qs.order_by("priority", "name", "id")


def pack_get_for_user(*, user: AuthUser, pack_id: int, need: Role = Role.VIEWER) -> PackDetail:
    """A pack the user may see (404) and, for edits, change (403). Sets pack.role."""
    pack = Pack.objects.select_related("owner").filter(pk=pack_id).first()
    if pack is None:
        raise Http404("No such pack.")
    role = pack_role(user=user, pack=pack)
    require(role, need, what="pack")
    detail = cast("PackDetail", pack)  # the same object: it gets its role right below
    detail.role = role
    return detail


def pack_board(*, user: AuthUser) -> dict[str, list[Pack]]:
    """Packs grouped into board columns by status."""
    columns: dict[str, list[Pack]] = {s.value: [] for s in Status}
    for pack in pack_list(user=user):
        columns[pack.status].append(pack)
    return columns


def packs_owned(*, user: AuthUser) -> list[Pack]:
    return list(Pack.objects.filter(owner=user).order_by("priority", "name").only("id", "name", "priority"))


# -- album series --------------------------------------------------------------------------------
def album_series_list(*, user: AuthUser, status: str | None = None, search: str | None = None) -> QuerySet[AlbumSeries]:
    qs = AlbumSeries.objects.filter(owner=user).annotate(song_count=Count("songs"))
    if status:
        qs = qs.filter(status=status)
    if search and search.strip():
        qs = qs.filter(Q(album__icontains=search.strip()) | Q(artist__icontains=search.strip()))
    return qs.order_by("series_number", "artist", "album", "id")


def album_series_get_for_user(*, user: AuthUser, series_id: int) -> AlbumSeries:
    """The user's own album series, or Http404 (series are never shared)."""
    series = AlbumSeries.objects.filter(pk=series_id, owner=user).first()
    if series is None:
        raise Http404("No such album series.")
    return series


# A matched song's status as a tracklist state; any other status is "planned".
_TRACKLIST_STATES: dict[str, str] = {Status.RELEASED: "done", Status.IN_PROGRESS: "in_progress"}


@dataclass
class TracklistRow:
    number: int
    title: str
    state: str  # done, in_progress, planned, missing, irrelevant
    song: Song | None = None
    duration_ms: int | None = None

    @property
    def label(self) -> str:
        return self.state.replace("_", " ")


def album_series_comparison(*, series: AlbumSeries) -> dict:
    """Its songs against the album's Spotify tracklist: done, in progress, planned, missing or irrelevant.

    Songs that match no track are listed as extras (bonus tracks, or a title typo to fix).
    """
    songs = list(series.songs.all().order_by("title"))
    by_title = {normalise_title(s.title): s for s in songs}
    irrelevant = set(series.irrelevant_tracks or [])
    rows: list[TracklistRow] = []
    matched: set[int] = set()
    for index, track in enumerate(series.tracklist or [], start=1):
        key = normalise_title(track.get("title", ""))
        song = by_title.get(key)
        if song is not None:
            matched.add(song.pk)
            state = _TRACKLIST_STATES.get(song.status, "planned")
        elif key in irrelevant:
            state = "irrelevant"
        else:
            state = "missing"
        rows.append(TracklistRow(number=track.get("number") or index, title=track.get("title", ""), state=state,
                                 song=song, duration_ms=track.get("duration_ms")))
    counts = {k: sum(1 for r in rows if r.state == k) for k in ("done", "in_progress", "planned", "missing", "irrelevant")}
    relevant = len(rows) - counts["irrelevant"]
    return {
        "rows": rows,
        "extras": [s for s in songs if s.pk not in matched],
        "counts": counts,
        "legend": [(k, k.replace("_", " "), n) for k, n in counts.items()],
        "relevant": relevant,
        "percent": int(counts["done"] * 100 / relevant) if relevant else 0,
    }


# -- collaborations --------------------------------------------------------------------------------
def collaboration_list(*, user: AuthUser, state: str | None = None) -> QuerySet[Collaboration]:
    """Collaborations the user is part of: invitations received and those on their own songs and packs."""
    qs = (Collaboration.objects.filter(Q(user=user) | Q(song__owner=user) | Q(pack__owner=user))
          .select_related("song", "pack", "user", "invited_by"))
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def collaboration_get_for_user(*, user: AuthUser, collaboration_id: int) -> Collaboration:
    """A collaboration the user is invited to or owns the target of; Http404 otherwise."""
    collab = collaboration_list(user=user).filter(pk=collaboration_id).first()
    if collab is None:
        raise Http404("No such collaboration.")
    return collab


def invitations_pending(*, user: AuthUser) -> QuerySet[Collaboration]:
    return (Collaboration.objects.filter(user=user, state=Collaboration.State.PENDING)
            .select_related("song", "pack", "invited_by").order_by("-created_at"))


# -- achievements and stats --------------------------------------------------------------------------
def _longest_streak(days: list[dt.date]) -> int:
    best = run = 0
    previous: dt.date | None = None
    for day in sorted(set(days)):
        run = run + 1 if previous and (day - previous).days == 1 else 1
        best = max(best, run)
        previous = day
    return best


def tracker_stats(*, user: AuthUser) -> TrackerStats:
    """The figures achievement rules read: a handful of aggregate queries."""
    by_status = dict(Song.objects.filter(owner=user).order_by().values_list("status").annotate(n=Count("id")))
    open_steps = SongStep.objects.filter(song=OuterRef("pk"), done=False)
    any_steps = SongStep.objects.filter(song=OuterRef("pk"))
    complete = (Song.objects.filter(owner=user, status=Status.IN_PROGRESS).filter(Exists(any_steps))
                .exclude(Exists(open_steps)).count())
    finished = by_status.get(Status.RELEASED, 0) + complete
    packs = Pack.objects.filter(owner=user).aggregate(n=Count("id"), released=Count("id", filter=Q(status=Status.RELEASED)))
    series = AlbumSeries.objects.filter(owner=user).aggregate(
        n=Count("id"), released=Count("id", filter=Q(status=Status.RELEASED)))
    collaborations = Collaboration.objects.filter(
        Q(user=user) | Q(invited_by=user), state=Collaboration.State.ACCEPTED).count()
    since = timezone.now() - dt.timedelta(days=400)
    days = [d.date() for d in Activity.objects.filter(user=user, created_at__gte=since).exclude(verb="achievement").values_list("created_at", flat=True)]
    steps = list(WorkflowStep.objects.filter(user=user).order_by("position", "id").values_list("name", flat=True))
    from .models import DEFAULT_WORKFLOW

    return TrackerStats(
        songs=sum(by_status.values()),
        in_progress=by_status.get(Status.IN_PROGRESS, 0),
        released=by_status.get(Status.RELEASED, 0),
        finished=finished,
        packs=packs["n"], packs_released=packs["released"],
        album_series=series["n"], album_series_released=series["released"],
        collaborations=collaborations,
        enriched=Song.objects.filter(owner=user, enriched_at__isnull=False).count(),
        streak_days=_longest_streak(days),
        workflow_customised=bool(steps) and steps != DEFAULT_WORKFLOW,
    )


def achievements_for_user(*, user: AuthUser) -> dict:
    """The whole catalogue with what the user earned, their points and unseen (new) awards."""
    earned = {a.code: a for a in Achievement.objects.filter(user=user)}
    items = []
    for definition in catalogue.CATALOGUE:
        got = earned.get(definition.code)
        items.append({"def": definition, "code": definition.code, "name": definition.name,
                      "description": definition.description, "category": definition.category,
                      "points": definition.points, "rarity": definition.rarity, "earned": got is not None,
                      "awarded_at": got.awarded_at if got else None, "new": bool(got and got.seen_at is None)})
    return {
        "items": items,
        "points": sum(a.points for a in earned.values()),
        "possible": catalogue.TOTAL_POINTS,
        "earned_count": len(earned),
        "new": [i for i in items if i["new"]],
    }


def achievement_points(*, user: AuthUser) -> int:
    return Achievement.objects.filter(user=user).aggregate(p=Coalesce(Sum("points"), 0))["p"]


# -- dashboard -------------------------------------------------------------------------------------
def dashboard(*, user: AuthUser) -> dict:
    """Counts by status, a completion histogram of songs in progress, recent activity and next priorities."""
    counts = {s.value: 0 for s in Status}
    counts.update(dict(Song.objects.filter(owner=user).order_by().values_list("status").annotate(n=Count("id"))))
    in_progress = list(song_list_with_progress(user=user, status=Status.IN_PROGRESS)
                       .values_list("steps_pct", flat=True))
    buckets = [0] * 5  # 0-19, 20-39, 40-59, 60-79, 80-100
    for pct in in_progress:
        buckets[min(pct // 20, 4)] += 1
    peak = max(buckets) or 1
    chart = []
    for i, n in enumerate(buckets):  # SVG geometry: 5 bars on a 300x140 canvas, baseline at y=120
        height = int(n * 100 / peak)
        chart.append({"label": f"{i * 20}–{i * 20 + 19 if i < 4 else 100}%", "count": n, "height": height,
                      "x": 8 + i * 60, "y": 120 - height, "label_y": 114 - height})
    return {
        "counts": counts,
        "total": sum(counts.values()),
        "average_pct": int(sum(in_progress) / len(in_progress)) if in_progress else 0,
        "chart": chart,
        "activity": list(Activity.objects.filter(user=user).select_related("song")[:12]),
        "next_up": list(song_list_with_progress(user=user).filter(status__in=[Status.IN_PROGRESS, Status.FUTURE])
                        .order_by("priority", "-steps_pct", "updated_at")[:8]) if counts else [],
        "points": achievement_points(user=user),
        "invitations": invitations_pending(user=user).count(),
    }


# -- profiles ---------------------------------------------------------------------------------------
def profile_for_user(*, user: AuthUser) -> TrackerProfile:
    """The user's profile, unsaved when they have never edited it."""
    return TrackerProfile.objects.filter(user=user).first() or TrackerProfile(user=user)


def public_profile(*, username: str) -> dict:
    """An opted-in user's released songs, packs, achievements and stats; Http404 when not public."""
    profile = (TrackerProfile.objects.select_related("user")
               .filter(user__username=username, user__is_active=True, is_public=True).first())
    if profile is None:
        raise Http404("No such public profile.")
    user = profile.user
    stats = tracker_stats(user=user)
    return {
        "profile": profile,
        "user": user,
        "songs": list(Song.objects.filter(owner=user, status=Status.RELEASED).select_related("pack")
                      .order_by("-release_date", "artist", "title")[:200]),
        "packs": list(Pack.objects.filter(owner=user, status=Status.RELEASED).annotate(song_count=Count("songs"))
                      .order_by("-release_date", "name")[:100]),
        "achievements": [i for i in achievements_for_user(user=user)["items"] if i["earned"]],
        "points": achievement_points(user=user),
        "stats": stats,
    }


# -- cross-app hooks ---------------------------------------------------------------------------------
def global_search(*, user: AnyUser, query: str, limit: int = 5) -> list[dict]:
    """The header search: the user's own songs matching title, artist or album."""
    if not user.is_authenticated or not (query or "").strip():
        return []
    term = query.strip()
    songs = (Song.objects.filter(owner=user).filter(Q(title__icontains=term) | Q(artist__icontains=term)
                                                    | Q(album__icontains=term))
             .order_by("priority", "title")[:limit])
    return [{"kind": "song", "title": s.title, "subtitle": f"{s.artist} · {s.status}",
             "url": reverse("tracks:song_detail", args=[s.pk])} for s in songs]


def home_card(*, user: AnyUser) -> dict | None:
    """The "Song progress" card on the home page."""
    if not user.is_authenticated:
        return None
    counts = {s.value: 0 for s in Status}
    counts.update(dict(Song.objects.filter(owner=user).order_by().values_list("status").annotate(n=Count("id"))))
    total = sum(counts.values())
    if not total:
        return {"title": "Song progress", "url": reverse("tracks:index"), "template": "tracks/_home_card.html",
                "total": 0, "counts": counts, "next_up": []}
    next_up = list(song_list_with_progress(user=user, status=Status.IN_PROGRESS).order_by("-steps_pct", "priority")[:3])
    return {"title": "Song progress", "url": reverse("tracks:index"), "template": "tracks/_home_card.html",
            "total": total, "counts": counts, "next_up": next_up,
            "released_pct": int(counts[Status.RELEASED] * 100 / total)}


def staff_stats() -> dict:
    """Figures for the staff statistics page."""
    songs = dict(Song.objects.order_by().values_list("status").annotate(n=Count("id")))
    return {
        "songs": sum(songs.values()),
        "songs_released": songs.get(Status.RELEASED, 0),
        "songs_in_progress": songs.get(Status.IN_PROGRESS, 0),
        "packs": Pack.objects.count(),
        "album_series": AlbumSeries.objects.count(),
        "collaborations_accepted": Collaboration.objects.filter(state=Collaboration.State.ACCEPTED).count(),
        "achievements_awarded": Achievement.objects.count(),
        "public_profiles": TrackerProfile.objects.filter(is_public=True).count(),
    }
