"""The search page's engine: every published programme as one row of a few arrays in memory.

Why: at 100,000 programmes a page that counts six facets, the statuses and the total over the
tens of thousands of programmes a common word or a sector matches cost 0.3–2.7 s in SQL, however
the statements were arranged (docs/benchmarks.md), because each count visits every matching row
again. Here a programme is a position in numpy arrays (its status today, closing date, award in
tiyn, organisation, links as (position, term) pairs), a filter is a boolean mask, and a facet is
one ``bincount`` over the masked pairs: the whole sidebar for 100,000 programmes in a few
milliseconds. Words are still matched by the database (search.match: PostgreSQL's GIN indexes,
or SQLite's folded columns); orders come from the database too (``ProgrammeQuerySet.ordered_by``,
the one definition of every sort), fetched once as positions and then filtered by the mask.

The index is built from the database once per process and *generation* (caching.generation(),
bumped by every change to programmes, organisations, terms or rates) and day (statuses change at
midnight in Almaty). Without a shared cache another process's saves are not seen through the
generation, so there an index is also rebuilt after ``caching.TIMEOUT`` seconds, as the term
lists are. Building it at 100,000 programmes takes about a second (bench_search prints it).

The rules here restate queryset methods (available_in, award_overlaps, closing_within, the
statuses of with_status are read from the database); tests/test_index.py checks that every
filter and count agrees with the queryset path, which alerts and feeds use.
"""

from __future__ import annotations

import datetime
import threading
import time
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cached_property

import numpy as np
from django.db import connection
from django.db.models import BigIntegerField, F
from django.db.models.functions import Cast, Round
from django.utils.translation import get_language

from . import caching, search
from .choices import Status

STATUS_CODES = {value: code for code, value in enumerate(Status.values)}
_INT64 = np.iinfo(np.int64)
# What the index reads of each programme, in this order.
ROW = ("pk", "status", "closes_on", "tiyn_min", "tiyn_max", "organisation_id", "is_nationwide")
_CENT = Decimal("0.01")


@dataclass
class Links:
    """A many-to-many relation as one packed bitset per term (``bits[code]``: which programme
    positions it is linked to), so that a facet's counts are one AND and popcount over a
    (terms × programmes / 8) byte matrix: about 0.1 ms for 40 terms of 100,000 programmes."""

    values: np.ndarray  # the term id of each code (row of ``bits``)
    bits: np.ndarray
    size: int

    @classmethod
    def from_pairs(cls, index: ProgrammeIndex, pairs) -> Links:
        array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        positions, found = index.positions_of(array[:, 0])
        values, codes = np.unique(array[found, 1], return_inverse=True)
        codes = codes.reshape(-1)
        bits = np.zeros((len(values), (index.size + 7) // 8), dtype=np.uint8)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(values) + 1))
        for code in range(len(values)):
            linked = np.zeros(index.size, dtype=bool)
            linked[positions[order[bounds[code] : bounds[code + 1]]]] = True
            bits[code] = np.packbits(linked)
        return cls(values, bits, index.size)

    def having(self, term_ids) -> np.ndarray:
        """Mask of the programmes linked to any of ``term_ids``."""
        rows = self.bits[np.isin(self.values, list(term_ids))]
        if not len(rows):
            return np.zeros(self.size, dtype=bool)
        return np.unpackbits(np.bitwise_or.reduce(rows, axis=0), count=self.size).astype(bool)

    def count(self, mask: np.ndarray) -> dict[int, int]:
        """{term id: programmes in ``mask`` linked to it} (terms with none left out)."""
        counts = np.bitwise_count(self.bits & np.packbits(mask)).sum(axis=1, dtype=np.int64)
        nonzero = np.flatnonzero(counts)
        return dict(zip(self.values[nonzero].tolist(), counts[nonzero].tolist(), strict=True))


@dataclass
class ProgrammeIndex:
    today: datetime.date
    ids: np.ndarray  # sorted; a programme's position is its place here
    status: np.ndarray
    closes_on: np.ndarray  # proleptic ordinal, -1 without a date
    amount_min: np.ndarray  # tiyn (KZT × 100), exact; meaningful where has_min
    amount_max: np.ndarray
    has_min: np.ndarray
    has_max: np.ndarray
    nationwide: np.ndarray
    organisation: Links | None = None
    links: dict[str, Links] = field(default_factory=dict)
    places: Links | None = None
    built_at: float = field(default_factory=time.monotonic)
    build_seconds: float = 0.0
    _orders: dict = field(default_factory=dict)

    @classmethod
    def build(cls, today: datetime.date) -> ProgrammeIndex:
        from .models import Programme

        started = time.perf_counter()
        # Amounts in whole tiyn from the database (they have two decimals), and the rows read
        # straight from the cursor: through the ORM's values_list the 100,000 rows took twice
        # as long.
        rows = (
            Programme.objects.published()
            .with_status(today)
            .annotate(
                tiyn_min=Cast(Round(F("amount_min_kzt") * 100), BigIntegerField()),
                tiyn_max=Cast(Round(F("amount_max_kzt") * 100), BigIntegerField()),
            )
            .order_by("pk")
            .values_list(
                "pk", "status", "closes_on", "tiyn_min", "tiyn_max", "organisation_id", "is_nationwide"
            )
        )
        sql, params = rows.query.sql_with_params()
        # The SQL puts fields before annotations; the outer select restores the order of ROW.
        columns = ", ".join(f'q."{name}"' for name in ROW)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM ({sql}) q", params)  # noqa: S608  (constants)
            rows = cursor.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [()] * 7
        pks, statuses, closes, lows, highs, organisations, nationwide = columns
        index = cls(
            today=today,
            ids=np.array(pks, dtype=np.int64),
            status=np.array([STATUS_CODES[s] for s in statuses], dtype=np.int8),
            closes_on=np.array([d.toordinal() if d else -1 for d in closes], dtype=np.int64),
            amount_min=np.array([a or 0 for a in lows], dtype=np.int64),
            amount_max=np.array([a or 0 for a in highs], dtype=np.int64),
            has_min=np.array([a is not None for a in lows], dtype=bool),
            has_max=np.array([a is not None for a in highs], dtype=bool),
            nationwide=np.array([bool(flag) for flag in nationwide], dtype=bool),
        )
        index.organisation = Links.from_pairs(index, list(zip(pks, organisations, strict=True)))
        for name, (table, column) in search.TERM_LINKS.items():
            index.links[name] = Links.from_pairs(index, _fetch(f"SELECT programme_id, {column} FROM {table}"))  # noqa: S608
        # Every place a programme can be applied from (search.PLACE_REACH, the one rule).
        index.places = Links.from_pairs(
            index,
            _fetch(
                f"WITH reach(listed, counted) AS ({search.PLACE_REACH}) "  # noqa: S608
                "SELECT DISTINCT x.programme_id, r.counted FROM programmes_programme_locations x "
                "JOIN reach r ON r.listed = x.location_id"
            ),
        )
        index.build_seconds = time.perf_counter() - started
        return index

    @property
    def size(self) -> int:
        return len(self.ids)

    def positions_of(self, ids) -> tuple[np.ndarray, np.ndarray]:
        """(positions, which of ``ids`` are here): ids of unpublished programmes are not."""
        ids = np.asarray(ids, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self._lookup))
        positions = np.full(len(ids), -1, dtype=np.int64)
        positions[inside] = self._lookup[ids[inside]]
        found = positions >= 0
        return positions[found], found

    @cached_property
    def _lookup(self) -> np.ndarray:
        # Position by id: ids are dense enough (a few deleted programmes) for a direct table,
        # which maps the 80,000 ids of a common word in a fraction of a millisecond.
        lookup = np.full(int(self.ids.max()) + 1 if self.size else 0, -1, dtype=np.int64)
        lookup[self.ids] = np.arange(self.size)
        return lookup

    def everything(self) -> np.ndarray:
        return np.ones(self.size, dtype=bool)

    # --- the rules of the queryset methods, on arrays ---------------------------------------

    def award_overlaps(self, low_kzt: Decimal | None, high_kzt: Decimal | None) -> np.ndarray:
        """ProgrammeQuerySet.award_overlaps: a stated minimum, at most ``high``; a maximum of at
        least ``low``, or none."""
        mask = self.has_min.copy()
        if high_kzt is not None:
            mask &= self.amount_min <= _bound(high_kzt, ROUND_FLOOR)
        if low_kzt is not None:
            mask &= ~self.has_max | (self.amount_max >= _bound(low_kzt, ROUND_CEILING))
        return mask

    def closing_within(self, days: int) -> np.ndarray:
        """ProgrammeQuerySet.closing_within: open today and closing in ``days`` days or fewer."""
        last = (self.today + datetime.timedelta(days=days)).toordinal()
        return (self.status == STATUS_CODES[Status.OPEN]) & (self.closes_on >= 0) & (self.closes_on <= last)

    def with_statuses(self, statuses) -> np.ndarray:
        return np.isin(self.status, [STATUS_CODES[s] for s in statuses])

    def available_in(self, location_ids) -> np.ndarray:
        """ProgrammeQuerySet.available_in: nationwide, or applicable from one of the places."""
        return self.nationwide | self.places.having(location_ids)

    def status_counts(self, mask: np.ndarray) -> dict[str, int]:
        counts = np.bincount(self.status[mask], minlength=len(STATUS_CODES))
        return {value: int(counts[code]) for value, code in STATUS_CODES.items() if counts[code]}

    # --- orders ------------------------------------------------------------------------

    def order(self, sort: str) -> np.ndarray:
        """Every position in the order ``sort`` puts programmes (in the active language, which
        titles sort by), fetched from the database once per index."""
        key = (sort, get_language())
        if key not in self._orders:
            from .models import Programme

            published = Programme.objects.published().with_status(self.today)
            if sort == "relevance":  # the order among equally relevant programmes
                ordered = published.order_by(*search.relevance_ties())
            else:
                ordered = published.ordered_by(sort)
            positions, _found = self.positions_of(list(ordered.values_list("pk", flat=True)))
            # Fetched later than the index was built: a programme unpublished since (by another
            # process, not yet heard of) is still counted, so it is listed too, last.
            missing = np.setdiff1d(np.arange(self.size), positions, assume_unique=True)
            self._orders[key] = np.concatenate([positions, missing])
        return self._orders[key]

    def ordered(self, mask: np.ndarray, sort: str, match: search.Match | None = None) -> Ordered:
        """The positions in ``mask``, in the order of ``sort``; by the relevance of ``match``
        (higher first) when given, ties in the relevance order."""
        if match is None:
            order = self.order(sort)
            return Ordered(order[mask[order]])
        order = self.order("relevance")
        return Ordered(order[mask[order]], match)


class Ordered:
    """The positions of a search's results in order, read a slice at a time.

    By relevance, the programmes with every word in their titles (``Match.best``, the highest
    relevance there is) come first, in the order of ties; a page among them is taken from those
    alone, and only a page further down ranks every result (and reads the tiers that needs).
    """

    def __init__(self, chosen: np.ndarray, match: search.Match | None = None):
        self._chosen = chosen
        self._match = match
        self._all = chosen if match is None else None

    def __len__(self) -> int:
        return len(self._chosen)

    def __getitem__(self, item: slice) -> np.ndarray:
        if not isinstance(item, slice):
            raise TypeError("Results are ordered a slice at a time")
        if self._all is None:
            start, stop, step = item.indices(len(self))
            if self._match.best is not None and step == 1:
                best = self._chosen[self._match.best[self._chosen]]
                if stop <= len(best):
                    return best[start:stop]
            relevance = self._match.relevance
            self._all = self._chosen[np.argsort(-relevance[self._chosen], kind="stable")]
        return self._all[item]


def _bound(amount: Decimal, rounding: str) -> int:
    """An amount in tenge as whole tiyn for comparing with the stored ones, within int64."""
    value = int(amount.scaleb(2).to_integral_value(rounding=rounding))
    return max(int(_INT64.min), min(int(_INT64.max), value))


def _fetch(sql: str) -> np.ndarray:
    """The (programme, term) pairs ``sql`` selects, as an n×2 array. On PostgreSQL packed into
    one bytea by the server (a fifth of the time of 230,000 rows through the driver)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            packed = f"SELECT string_agg(int8send(a) || int8send(b), ''::bytea) FROM ({sql}) AS x(a, b)"  # noqa: S608
            cursor.execute(packed)
            blob = cursor.fetchone()[0]
            return search.unpack_ids(bytes(blob or b"")).reshape(-1, 2)
        cursor.execute(sql)
        return np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)


# --- One index per process ---------------------------------------------------------------------

_lock = threading.Lock()
_current: dict[str, ProgrammeIndex] = {}


def current(today: datetime.date) -> ProgrammeIndex:
    """The index of today's published programmes, rebuilt when the directory has changed."""
    key = f"{connection.alias}:{caching.generation()}:{today.isoformat()}"
    with _lock:
        index = _current.get(key)
        if index is not None and not caching.expired(index.built_at):
            return index
        index = ProgrammeIndex.build(today)
        _current.clear()  # only the newest is kept
        _current[key] = index
        return index


@dataclass
class Results:
    """The ordered programmes of a search, as a sequence the Paginator can slice: only the
    programmes of the page asked for are read from the database, with their card data."""

    queryset: object
    index_ids: np.ndarray
    positions: Ordered

    def __len__(self) -> int:
        return len(self.positions)

    @property
    def ids(self) -> np.ndarray:
        """Every result's id, in order."""
        return self.index_ids[self.positions[:]]

    def __getitem__(self, item):
        if not isinstance(item, slice):
            raise TypeError("Results are read a page (a slice) at a time")
        ids = self.index_ids[self.positions[item]].tolist()
        if not ids:
            return []
        found = {programme.pk: programme for programme in self.queryset.filter(pk__in=ids)}
        attach_card_links(list(found.values()))
        return [found[pk] for pk in ids if pk in found]


def attach_card_links(programmes: list) -> None:
    """Give each programme its types, sectors and places, as ``prefetch_related`` leaves them,
    from one query and the term lists the sidebar caches anyway (caching.cached_terms).

    A prefetch built 60–100 term instances for a page of 20 programmes, in three queries: 13 of
    the 17 ms it took to read a page at 100,000 programmes (docs/benchmarks.md). What is left
    is what Django's prefetch leaves: the relation's own queryset with its results in place,
    so ``programme.types.all`` reads nothing and anything chained on it queries as usual.
    """
    if not programmes:
        return
    from django.db.models import prefetch_related_objects

    ids = [programme.pk for programme in programmes]
    marks = ", ".join(["%s"] * len(ids))
    sql = " UNION ALL ".join(
        f"SELECT programme_id, {number}, {column} FROM programmes_programme_{name} "  # noqa: S608
        f"WHERE programme_id IN ({marks})"
        for number, (name, _table, column) in enumerate(search.NAMED_LINKS)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids * len(search.NAMED_LINKS))
        rows = cursor.fetchall()
    model = type(programmes[0])
    terms = [
        {term.pk: term for term in caching.cached_terms(model._meta.get_field(name).related_model)}
        for name, _table, _column in search.NAMED_LINKS
    ]
    if any(term not in terms[number] for _pk, number, term in rows):
        # A term newer than the cached lists (saved by another process a moment ago).
        prefetch_related_objects(programmes, *(name for name, _table, _column in search.NAMED_LINKS))
        return
    linked: dict = {}
    for pk, number, term in rows:
        linked.setdefault((pk, number), set()).add(term)
    for programme in programmes:
        cache = programme.__dict__.setdefault("_prefetched_objects_cache", {})
        for number, (name, _table, _column) in enumerate(search.NAMED_LINKS):
            chosen = linked.get((programme.pk, number), ())
            queryset = getattr(programme, name).get_queryset()
            # In the terms' own order (Taxonomy.Meta.ordering), which the cached lists keep.
            queryset._result_cache = [term for pk, term in terms[number].items() if pk in chosen]
            queryset._prefetch_done = True
            cache[name] = queryset
