"""Bulk reads and writes for the aggregation: COPY on PostgreSQL, batched ORM calls elsewhere."""
from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import JSONField, Model, QuerySet
from django.utils import timezone
from psycopg.types.json import Jsonb

BATCH = 2000


def chunks(items: Sequence, size: int = BATCH) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Turns Python's cyclic garbage collector off for the block (reference counting still frees memory)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def filter_in(qs: QuerySet, column: str, values: Sequence) -> Iterator[QuerySet]:
    """qs filtered to `column IN values`, as few queries as the backend allows.

    PostgreSQL takes the whole list as one newline-joined text parameter split on the server: one join in C
    instead of psycopg adapting an array element by element (archive identifiers and ids never hold a
    newline). SQLite caps the number of placeholders, so it gets chunks of 500.
    """
    if not values:
        return
    if connection.vendor == "postgresql":
        field = qs.model._meta.get_field(column)
        cast = field.db_type(connection) or "text"
        where = (f"{connection.ops.quote_name(qs.model._meta.db_table)}.{connection.ops.quote_name(field.column)}"
                 f" = ANY(string_to_array(%s, E'\\n')::{cast}[])")
        for part in chunks(values, 50_000):
            yield qs.extra(where=[where], params=["\n".join(map(str, part))])
        return
    for part in chunks(values, 500):
        yield qs.filter(**{f"{column}__in": part})


def copy_insert(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Inserts rows given as tuples in `columns` order (attnames); every other field takes its default.

    On PostgreSQL this is one COPY with the column types declared up front, so psycopg neither builds model
    instances nor guesses an adapter per value (several times faster than INSERT for 100k rows, and JSON
    defaults such as [] are written as JSON rather than as a PostgreSQL array). Elsewhere, bulk_create.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    by_name = {f.attname: f for f in fields}
    now = timezone.now()
    rest = [f for f in fields if f.attname not in columns]
    fill = tuple(now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
                 for f in rest)
    names = [*columns, *(f.attname for f in rest)]
    count = 0
    if connection.vendor != "postgresql":
        batch: list[Model] = []
        for row in rows:
            batch.append(model(**dict(zip(names, (*row, *fill), strict=True))))
            if len(batch) >= BATCH:
                model._default_manager.bulk_create(batch)
                count, batch = count + len(batch), []
        model._default_manager.bulk_create(batch)
        return count + len(batch)
    # A default such as [] is the same for every row: serialise it once, not once per row.
    fill = tuple(_json_once(value) if isinstance(f, JSONField) else value for f, value in zip(rest, fill, strict=True))
    table = connection.ops.quote_name(model._meta.db_table)
    quoted, types = [], []
    for name in names:
        column, db_type = by_name[name].column, by_name[name].db_type(connection)
        if column is None or db_type is None:  # concrete fields always have both; this keeps the types honest
            raise ValueError(f"{model.__name__}.{name} is not a plain column")
        quoted.append(connection.ops.quote_name(column))
        types.append(db_type.split("(")[0])  # "varchar(300)" -> "varchar", a name psycopg knows
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(quoted)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row((*row, *fill))
                count += 1
    return count


def _json_once(value: Any) -> Jsonb:
    text = json.dumps(value)
    return Jsonb(value, dumps=lambda _value: text)
