"""Reading a large queryset with its prefetches a chunk at a time, for the exports and the
open data files.

queryset.iterator(chunk_size=…) runs each prefetch_related lookup once per chunk, which keeps
the query count fixed; but Django then gives every row its own filtered copy of the
prefetch's queryset (RelatedManager._apply_rel_filters: a clone with a deep copy of its
WHERE clause), and at 100× the plan that copying was a fifth of the activities file's time
(11,000 copies for 5,500 activities with roles and targets). in_chunks() does the same
prefetch by hand: one query per lookup and chunk, the related rows grouped by their foreign
key and handed to each row as an already evaluated queryset, which is what Django stores."""

from collections import defaultdict

from django.db import connection
from django.db.models import BooleanField, F, Prefetch, Q, QuerySet
from django.db.models.expressions import Expression
from django.db.models.fields.related_descriptors import ReverseManyToOneDescriptor


def _by_hand(queryset):
    """The (name, foreign key, queryset) of each prefetch lookup, or None when one is not a
    plain reverse foreign key with its own queryset (then Django's own prefetch runs)."""
    lookups = []
    for lookup in queryset._prefetch_related_lookups:
        if not isinstance(lookup, Prefetch) or lookup.queryset is None:
            return None
        if "__" in lookup.prefetch_through or lookup.to_attr:
            return None
        descriptor = getattr(queryset.model, lookup.prefetch_through, None)
        if type(descriptor) is not ReverseManyToOneDescriptor:
            return None
        lookups.append((lookup.prefetch_to, descriptor.rel.field, lookup.queryset))
    return lookups


def in_chunks(queryset, size):
    """The rows of `queryset`, read `size` at a time, each with its prefetch_related lookups
    filled in: the same rows and the same queries as queryset.iterator(chunk_size=size)."""
    lookups = _by_hand(queryset)
    if lookups is None:
        yield from queryset.iterator(chunk_size=size)
        return
    chunk = []
    for row in queryset.prefetch_related(None).iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) == size:
            yield from _prefetched(chunk, lookups)
            chunk = []
    yield from _prefetched(chunk, lookups)


def _prefetched(rows, lookups):
    if not rows:
        return rows
    keys = [row.pk for row in rows]
    for name, field, related in lookups:
        groups = defaultdict(list)
        for item in related.filter(**{f"{field.attname}__in": keys}):
            groups[getattr(item, field.attname)].append(item)
        for row in rows:
            items = groups.get(row.pk, [])
            for item in items:
                field.set_cached_value(item, row)  # item.activity is the row, as Django does
            done = QuerySet(model=related.model)
            done._result_cache, done._prefetch_done = items, True
            row.__dict__.setdefault("_prefetched_objects_cache", {})[name] = done
    return rows


def in_pages(queryset, size):
    """The rows of `queryset` in its order, `size` at a time, with its prefetches (as
    in_chunks): first the keys of every row in order (one narrow query), then each page of
    rows by its keys. A server-side cursor over the whole queryset sorts every row, joins and
    texts included, before its first fetch, and at 1000× the plan (220,000 roles or reports)
    that first fetch took longer than the web processes wait for PostgreSQL
    (DB_WAIT_TIMEOUT_MS, 2 s): the file failed. Sorting the keys alone is quick, and so is
    each page."""
    lookups = _by_hand(queryset)
    keys = list(queryset.values_list("pk", flat=True))
    plain = queryset.prefetch_related(None).order_by() if lookups is not None else queryset
    for start in range(0, len(keys), size):
        page = keys[start : start + size]
        rows = {row.pk: row for row in plain.filter(pk__in=page)}
        # A row deleted since its key was read is left out, as if it had gone before.
        rows = [rows[key] for key in page if key in rows]
        yield from _prefetched(rows, lookups) if lookups else rows


def record_pages(queryset, size, read):
    """The records (dicts) of `queryset` in its order, a page of up to `size` at a time
    (lists, so a page's related rows can be read for it at once), as in_pages reads rows:
    the keys of every row in order first (one narrow query, however many rows), then each
    page by its keys alone, through `read` (a queryset of the model → a values() queryset
    of its records, with "id"). The page's query leaves out the queryset's own conditions
    (the plan, the filters): they chose the keys, and with them PostgreSQL walked every
    activity of the plan for each page (at 100× the plan 5,520 activities for a page of 500
    reports, 40 ms; at 1000× ten times that, for 880 pages), where the keys alone are 500
    lookups by primary key."""
    keys = list(queryset.values_list("pk", flat=True))
    rows = queryset.model._base_manager.order_by()  # in the keys' order, not the model's
    for start in range(0, len(keys), size):
        page = keys[start : start + size]
        records = {record["id"]: record for record in read(rows.filter(among("pk", page)))}
        # A row deleted since its key was read is left out, as if it had gone before.
        yield [records[key] for key in page if key in records]


class _AnyOf(Expression):
    """`field` = ANY(keys): one array parameter, which PostgreSQL reads as an index
    condition with as many rows as keys."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field, keys):
        super().__init__()
        self.column, self.keys = field, keys

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, expressions):
        (self.column,) = expressions

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"{sql} = ANY(%s::bigint[])", (*params, list(self.keys))


def among(field, keys):
    """`field` is one of `keys` (a list of integers): on PostgreSQL as one array parameter,
    not one placeholder per key (the driver parses a query's text for its placeholders, and
    a page of 500 keys made that a quarter of an open data file's time); elsewhere IN."""
    if connection.vendor == "postgresql":
        return _AnyOf(F(field), keys)
    return Q(**{f"{field}__in": keys})
