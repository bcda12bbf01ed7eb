"""Offline demo content for concerts: the archive demo catalogue aggregated into ranked concerts."""
from __future__ import annotations


def load(*, user, staff, stdout) -> None:
    from archive.demo import demo_docs

    from .services import concerts_aggregate

    run = concerts_aggregate(docs=demo_docs())
    stdout.write(f"  concerts: {run.items_seen} items -> {run.concerts_created} new concerts, "
                 f"{run.recordings_created} new recordings ({run.items_undated} undated skipped)")
