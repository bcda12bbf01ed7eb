"""Reads for the platform: job access, realtime group access, and staff statistics."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any, Protocol

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import FailedJob, Job, SearchLog
from .types import AnyUser, AuthUser, JSONDict

# kind -> check(user, object_id) -> bool. Apps register theirs in AppConfig.ready().
_GROUP_CHECKS: dict[str, Callable[..., bool]] = {}
# kind -> snapshot(object_id) -> html: the current state, sent when a socket joins (e.g. after a reconnect).
_GROUP_SNAPSHOTS: dict[str, Callable[..., str | None]] = {}
# name -> callable() -> dict of figures for the staff statistics page.
_STATS_PROVIDERS: dict[str, Callable[[], JSONDict]] = {}


def register_realtime_group(kind: str, check: Callable[..., bool], snapshot: Callable[..., str | None] | None = None) -> None:
    """Lets users join `<kind>.<id>` groups when check(user=..., object_id=...) is True.

    snapshot(object_id=...) may return HTML for the object's current state, pushed on join so a
    socket that (re)connects late never shows a stale bar.
    """
    _GROUP_CHECKS[kind] = check
    if snapshot is not None:
        _GROUP_SNAPSHOTS[kind] = snapshot


def realtime_group_snapshot(*, kind: str, object_id: str) -> str | None:
    snapshot = _GROUP_SNAPSHOTS.get(kind)
    return snapshot(object_id=int(object_id)) if snapshot else None


def register_stats(name: str, provider: Callable[[], JSONDict]) -> None:
    """Adds a section's figures (e.g. downloads count and bytes) to the staff statistics page."""
    _STATS_PROVIDERS[name] = provider


def realtime_group_allowed(*, user: AnyUser, kind: str, object_id: str) -> bool:
    check = _GROUP_CHECKS.get(kind)
    return bool(check and check(user=user, object_id=int(object_id)))


def job_get_for_user(*, user: AuthUser, job_id: int) -> Job:
    """The user's own job, or Http404."""
    job = Job.objects.filter(pk=job_id, user=user).first()
    if job is None:
        raise Http404("No such job.")
    return job


def job_list_for_user(*, user: AuthUser, limit: int = 20) -> QuerySet[Job]:
    return Job.objects.filter(user=user)[:limit]


def _job_snapshot(*, object_id: int) -> str | None:
    from .realtime import render_progress

    job = Job.objects.filter(pk=object_id).first()
    if job is None:
        return None
    return render_progress(dom_id=f"job-{job.pk}", done=job.done, total=job.total, label=job.label, status=job.status,
                           message=job.message, oob=True)


register_realtime_group(
    "job", lambda *, user, object_id: Job.objects.filter(pk=object_id, user=user).exists(), snapshot=_job_snapshot
)


def staff_statistics() -> JSONDict:
    """Users, jobs, searches (top queries) and each section's own figures."""
    User = get_user_model()
    now = timezone.now()
    week = now - dt.timedelta(days=7)
    jobs = dict(Job.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    stats: JSONDict = {
        "users": {
            "total": User.objects.count(),
            "active_7d": User.objects.filter(last_login__gte=week).count(),
            "joined_7d": User.objects.filter(date_joined__gte=week).count(),
            "staff": User.objects.filter(is_staff=True).count(),
        },
        "jobs": {
            "by_status": jobs,
            "failed_unresolved": FailedJob.objects.filter(resolved_at__isnull=True).count(),
            "failed_total": FailedJob.objects.count(),
        },
        "searches": {
            "total": SearchLog.objects.count(),
            "last_7d": SearchLog.objects.filter(created_at__gte=week).count(),
            "top": list(
                SearchLog.objects.values("section", "normalized").annotate(n=Count("id")).order_by("-n", "normalized")[:15]
            ),
        },
        "sections": {},
    }
    for name, provider in sorted(_STATS_PROVIDERS.items()):
        try:
            stats["sections"][name] = provider()
        except Exception as exc:  # one broken section must not take the page down
            stats["sections"][name] = {"error": str(exc)}
    return stats


# name -> callable(user) -> dict | None, rendered as a card on the home page.
_HOME_CARDS: dict[str, Callable[..., JSONDict | None]] = {}


def register_home_card(name: str, provider: Callable[..., JSONDict | None]) -> None:
    """Adds a card to the home page: provider(user=...) returns {"title", "template", ...} or None."""
    _HOME_CARDS[name] = provider


def home_cards(*, user: AnyUser) -> list[JSONDict]:
    cards: list[JSONDict] = []
    for name, provider in _HOME_CARDS.items():
        try:
            card = provider(user=user)
        except Exception:  # a broken card is left out rather than breaking the home page
            continue
        if card:
            cards.append({"name": name, **card})
    return cards


# The summary is public, read on every API summary call and changes slowly: each process keeps the
# shared cache's copy for a few seconds, sparing a Redis round trip per request (at most 60 + 5 s stale).
SUMMARY_MEMO_SECONDS = 5.0
_summary_memo: dict[str, tuple[float, JSONDict]] = {}


def catalogue_summary() -> JSONDict:
    """Row counts of the public catalogue models (settings.PUBLIC_CATALOGUE_MODELS), cached 60 s."""
    from django.apps import apps
    from django.conf import settings
    from django.core.cache import cache

    local = _summary_memo.get("value")
    if local is not None and local[0] > time.monotonic():
        return local[1]
    cached: JSONDict | None = cache.get("catalogue:summary")
    if cached is not None:
        _summary_memo["value"] = (time.monotonic() + SUMMARY_MEMO_SECONDS, cached)
        return cached
    counts = {}
    for label in settings.PUBLIC_CATALOGUE_MODELS:
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        counts[model._meta.verbose_name_plural.lower()] = model.objects.count()
    result = {"catalogue": counts, "generated_at": timezone.now().isoformat()}
    cache.set("catalogue:summary", result, 60)
    _summary_memo["value"] = (time.monotonic() + SUMMARY_MEMO_SECONDS, result)
    return result


# app -> (title, search(user=, query=, limit=) -> list[dict]); each app registers itself in AppConfig.ready(),
# so common never imports a feature app. Insertion order is the order the groups are shown in.
_SEARCH_SECTIONS: dict[str, tuple[str, Callable[..., list[JSONDict]]]] = {}


def register_search(app: str, title: str, search: Callable[..., list[JSONDict]]) -> None:
    """Adds a section to the site-wide search: search(user=, query=, limit=) returns result dicts."""
    _SEARCH_SECTIONS[app] = (title, search)


def global_search(*, user: AnyUser, query: str, limit: int = 5) -> list[JSONDict]:
    """One search over every registered section, grouped (private data only for its owner)."""
    query = " ".join((query or "").split())[:100]
    if len(query) < 2:
        return []
    groups = []
    for app, (title, search) in _SEARCH_SECTIONS.items():
        try:
            results = search(user=user, query=query, limit=limit)
        except Exception:  # one section failing must not break the search box
            continue
        if results:
            groups.append({"section": app, "title": title, "results": results[:limit]})
    return groups


# app -> module-like object with load(user=, staff=, stdout=) and optionally unload(stdout=); filled in
# each app's AppConfig.ready(), read by the load_demo and unload_demo commands.
class DemoSection(Protocol):
    """An app's demo module: load() creates its made-up rows (marked demo); unload() removes exactly those."""

    def load(self, *, user: AuthUser, staff: AuthUser, stdout: Any) -> None: ...


_DEMO_SECTIONS: dict[str, DemoSection] = {}


def register_demo(app: str, module: DemoSection) -> None:
    """Registers an app's demo content (a module with load(user=, staff=, stdout=) and unload(stdout=))."""
    _DEMO_SECTIONS[app] = module


def demo_sections() -> dict[str, DemoSection]:
    """The registered demo sections, in registration (INSTALLED_APPS) order."""
    return dict(_DEMO_SECTIONS)


# section -> callable(artist_name=, limit=) -> list of dicts: what a section holds for an artist, so an album
# page can link to an artist's concerts without albums importing concerts (which itself reads albums).
_ARTIST_LINKS: dict[str, Callable[..., list[JSONDict]]] = {}


def register_artist_links(section: str, provider: Callable[..., list[JSONDict]]) -> None:
    """Offers a section's items for an artist (e.g. concerts) to other sections' pages."""
    _ARTIST_LINKS[section] = provider


def artist_links(*, section: str, artist_name: str, limit: int = 5) -> list[JSONDict]:
    """The registered section's items for an artist; [] when that section is not installed."""
    provider = _ARTIST_LINKS.get(section)
    return provider(artist_name=artist_name, limit=limit) if provider else []
