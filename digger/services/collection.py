"""The user's Discogs collection and want list: incremental sync and re-matching listings."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.models import Job
from common.services import job_claim, job_finish, job_progress, job_start
from common.types import AuthUser
from integrations.discogs.errors import TokenRejected
from integrations.errors import NotConfigured, PermanentError, TransientError

from ..models import (
    CollectionItem,
    DiggerProfile,
    Listing,
    Platform,
)
from .credentials import discogs_client_for, profile_get_or_create
from .notifications import notification_create
from .runs import matcher_for_user


def collection_sync_request(*, user: AuthUser) -> Job:
    """Queues a collection + want list sync (one at a time per user)."""
    active = Job.objects.filter(user=user, kind="digger.sync", status__in=[Job.Status.PENDING, Job.Status.RUNNING]).first()
    if active is not None:
        return active
    from ..tasks import sync_collection

    return job_start(user=user, kind="digger.sync", label="Discogs collection and want list", task=sync_collection)


def _parse_added(value: str):
    parsed = parse_datetime(value) if value else None
    return parsed


def collection_sync_run(*, job_id: int, full: bool = False) -> Job:
    """Syncs the user's Discogs collection and want list, newest first, stopping at known items.

    With full=True every page is read and items no longer on Discogs are removed. Each page is
    upserted on (user, kind, release_id), so a repeated or interrupted sync never duplicates.
    """
    job = Job.objects.select_related("user").get(pk=job_id)
    if job.status == Job.Status.PENDING and not job_claim(job_id=job_id):
        return job
    job.status = Job.Status.RUNNING
    user = job.user
    assert user is not None  # digger.sync jobs are always started for a user (collection_sync_request)
    profile = profile_get_or_create(user=user)
    counts = {"collection": 0, "want": 0, "removed": 0}
    try:
        if not profile.discogs_username:
            raise NotConfigured("Add your Discogs username in Digger settings to sync your collection.", service="discogs")
        client = discogs_client_for(profile)
        try:
            done = 0
            for kind, source in ((CollectionItem.Kind.COLLECTION, "collection"), (CollectionItem.Kind.WANT, "wants")):
                known = set(CollectionItem.objects.filter(user=user, kind=kind).values_list("release_id", flat=True))
                seen: set[int] = set()
                complete = True
                for page in client.iter_pages(source, profile.discogs_username):
                    if page.pagination.page == 1:
                        job.total = (job.total or 0) + page.pagination.pages
                    new_here = [i for i in page.items if i.release_id not in known]
                    with transaction.atomic():
                        for item in page.items:
                            CollectionItem.objects.update_or_create(user=user, kind=kind, release_id=item.release_id, defaults={
                                "artist": item.artist[:300], "title": item.title[:300] or f"Release {item.release_id}",
                                "year": item.year, "format": "; ".join(item.formats)[:200],
                                "label": ", ".join(item.labels)[:200], "catno": ", ".join(item.catnos)[:120],
                                "thumb": item.thumb[:600] if item.thumb.startswith("http") else "",
                                "date_added": _parse_added(item.date_added),
                            })
                    seen.update(i.release_id for i in page.items)
                    counts[kind] += len(new_here)
                    done += 1
                    job_progress(job=job, done=done, total=max(job.total, done),
                                 message=f"{kind}: page {page.pagination.page} of {page.pagination.pages}")
                    if not full and page.items and not new_here:
                        complete = False  # everything older is already known
                        break
                if full and complete:
                    removed, _ = CollectionItem.objects.filter(user=user, kind=kind).exclude(release_id__in=seen).delete()
                    counts["removed"] += removed
        finally:
            client.close()
        listings_rematch(user=user)
        DiggerProfile.objects.filter(pk=profile.pk).update(collection_synced_at=timezone.now())
        message = f"{counts['collection']} new in collection, {counts['want']} new wanted"
        return job_finish(job=job, message=message, result=counts)
    except TokenRejected:
        notification_create(user=user, kind="error", message="Collection sync: Discogs rejected the token",
                            url="/digger/settings/")
        return job_finish(job=job, status=Job.Status.FAILED, message="Discogs rejected the token")
    except (NotConfigured, PermanentError) as exc:
        return job_finish(job=job, status=Job.Status.FAILED, message=str(exc))
    except TransientError:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.PENDING, message="Waiting to retry")
        raise


def listings_rematch(*, user: AuthUser) -> int:
    """Re-flags every listing of the user's searches against the current collection and want list."""
    matcher = matcher_for_user(user)
    listings = list(Listing.objects.filter(search__user=user))
    changed = []
    for listing in listings:
        source_release = listing.release_id if listing.platform == Platform.DISCOGS else None
        match = matcher.match(release_id=source_release, catno=listing.catno, barcode=listing.barcode,
                              artist=listing.artist, title=listing.title)
        new = (match.in_collection, match.in_wantlist, match.method, match.confidence)
        if new != (listing.in_collection, listing.in_wantlist, listing.match_method, listing.match_confidence):
            listing.in_collection, listing.in_wantlist, listing.match_method, listing.match_confidence = new
            if listing.platform == Platform.EBAY:
                listing.release_id = match.release_id
            changed.append(listing)
    Listing.objects.bulk_update(changed, ["in_collection", "in_wantlist", "match_method", "match_confidence",
                                          "release_id"], batch_size=500)
    return len(changed)
