"""Database upkeep that no single app owns."""
from __future__ import annotations

from django.db import connection, models

# Below this many new rows autovacuum's own ANALYZE (a minute or so later) is soon enough.
ANALYZE_AFTER_ROWS = 10_000


def planner_statistics_refresh(*model_classes: type[models.Model]) -> None:
    """ANALYZE the tables of `model_classes` after a bulk load.

    A table bulk-loaded and queried within the next minute has no statistics yet, and PostgreSQL plans as if it
    were tiny: on a fresh 100,000-track catalogue the recommender's "these 60 tracks by id" query walked the
    owner index over every row (53 ms) instead of the primary key (0.5 ms). Cheap: ANALYZE samples rows.
    """
    if connection.vendor != "postgresql":
        return  # SQLite plans from its indexes without statistics here
    with connection.cursor() as cursor:
        for model in model_classes:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")  # a model's own table name, quoted
