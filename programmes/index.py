"""The search page's engine: every published programme as one row of a few arrays in memory.

Why: at 100,000 programmes a page that counts six facets, the statuses and the total over the
tens of thousands of programmes a common word or a sector matches cost 0.3–2.7 s in SQL, however
the statements were arranged (docs/benchmarks.md), because each count visits every matching row
again. Here a programme is a position in numpy arrays (its status today, closing date, award in
tiyn, organisation, links as (position, term) pairs), a filter is a boolean mask, and a facet is
one ``bincount`` over the masked pairs: the whole sidebar for 100,000 programmes in a few
milliseconds. Words are still matched by the database (search.matching.match_in_index:
PostgreSQL's GIN indexes, or SQLite's folded columns); orders come from the database too
(``ProgrammeQuerySet.ordered_by``, the one definition of every sort), fetched once as positions
and then filtered by the mask.

The index is built from the database once per process and kept under the directory version
(versioning.py: advanced by database triggers in the same transaction as every change), read
once per request, and the day (statuses change at midnight in Almaty). When the version moves,
the programmes the change log names are re-read and patched in (``ProgrammeIndex.patched``: their
rows, links and places; each kept order re-placing just them), so the first search after a
one-programme save costs milliseconds, not a rebuild; a change the log cannot follow (a place
moved to another region, a pruned log, thousands of programmes) rebuilds. Building it at 100,000
programmes takes about a second (bench_search prints both).

The rules here restate queryset methods (available_in, award_overlaps, closing_within, the
statuses of with_status are read from the database); tests/test_index.py checks that every
filter and count agrees with the queryset path, which alerts and feeds use.
"""

from __future__ import annotations

import datetime
import math
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

from . import facets, versioning
from .choices import Status
from .search.matching import relevance_ties
from .search.ranking import Match, unpack_ids

STATUS_CODES = {value: code for code, value in enumerate(Status.values)}
# The status of a position whose programme is no longer published (patched out): no status
# filter selects it and no count includes it.
GONE = len(STATUS_CODES)
# A change to at most this many programmes (or a twentieth of the index) is patched in.
PATCH_LIMIT = 2000
# Re-placing programmes in an order reads at most this many others (else the order is fetched).
_REPLACE_LIMIT = 20_000
_INT64 = np.iinfo(np.int64)
# The facets a programme has one term of (a foreign key: its organisation), read with its row.
SINGLE = tuple(facet for facet in facets.FACETS if not facet.many)
# What the index reads of each programme, in this order.
ROW = (
    "pk",
    "status",
    "closes_on",
    "tiyn_min",
    "tiyn_max",
    "is_nationwide",
    *(facet.field.attname for facet in SINGLE),
)
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

    def patched(self, index: ProgrammeIndex, touched: np.ndarray, pairs) -> Links:
        """A copy for ``index`` (which may have more positions) where the programmes at the
        ``touched`` positions are linked to the terms of ``pairs`` (programme id, term id) only."""
        width = (index.size + 7) // 8
        bits = np.pad(self.bits, ((0, 0), (0, width - self.bits.shape[1])))  # a copy, grown
        values = self.values
        masks = (0x80 >> (touched & 7)).astype(np.uint8)
        for byte, mask in zip((touched >> 3).tolist(), masks.tolist(), strict=True):
            bits[:, byte] &= ~mask & 0xFF
        array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        positions, found = index.positions_of(array[:, 0])
        terms = array[found, 1]
        new = np.setdiff1d(np.unique(terms), values)
        if len(new):
            values = np.concatenate([values, new])
            bits = np.vstack([bits, np.zeros((len(new), width), dtype=np.uint8)])
        row_of = {term: row for row, term in enumerate(values.tolist())}
        for position, term in zip(positions.tolist(), terms.tolist(), strict=True):
            bits[row_of[term], position >> 3] |= 0x80 >> (position & 7)
        return Links(values, bits, index.size)

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
    ids: np.ndarray  # a programme's position is its place here (sorted as built; patches append)
    status: np.ndarray
    closes_on: np.ndarray  # proleptic ordinal, -1 without a date
    amount_min: np.ndarray  # tiyn (KZT × 100), exact; meaningful where has_min
    amount_max: np.ndarray
    has_min: np.ndarray
    has_max: np.ndarray
    nationwide: np.ndarray
    live: np.ndarray  # False where a patch removed the programme (its position is kept, empty)
    version: versioning.Version | None = None
    # Per facet (by its parameter): which programmes each term selects. The place facet's
    # terms are the places one can apply from (``_places_query``), nationwide programmes aside.
    links: dict[str, Links] = field(default_factory=dict)
    build_seconds: float = 0.0  # to build it, or to patch it from the previous one
    patches: int = 0  # patches since it was built
    _orders: dict = field(default_factory=dict)
    # Orders of the index this one was patched from, with the positions they must re-place.
    _stale_orders: dict = field(default_factory=dict)

    @classmethod
    def build(cls, today: datetime.date, version: versioning.Version | None = None) -> ProgrammeIndex:
        started = time.perf_counter()
        rows = _read_rows(today)
        index = cls(today=today, version=version, **_columns(rows))
        for facet, pairs in _single_pairs(rows).items():
            index.links[facet] = Links.from_pairs(index, pairs)
        for facet, sql in _link_queries().items():
            index.links[facet] = Links.from_pairs(index, _fetch(sql))
        index.build_seconds = time.perf_counter() - started
        return index

    def patched(self, changed: set[int], version: versioning.Version) -> ProgrammeIndex:
        """A new index (this one is left as it is, for requests still reading it) with the
        programmes ``changed`` read again: updated in place, removed, or appended at the end."""
        started = time.perf_counter()
        ids = sorted(changed)
        rows = _read_rows(self.today, ids) if ids else []
        published = {row[0]: row for row in rows}
        old_positions, found = self.positions_of(ids)
        kept_ids = set(np.asarray(ids, dtype=np.int64)[found].tolist())
        added = [pk for pk in ids if pk in published and pk not in kept_ids]
        size = self.size + len(added)

        def grown(array, fill):
            return np.concatenate([array, np.full(len(added), fill, dtype=array.dtype)])

        index = ProgrammeIndex(
            today=self.today,
            version=version,
            ids=grown(self.ids, 0),
            status=grown(self.status, GONE),
            closes_on=grown(self.closes_on, -1),
            amount_min=grown(self.amount_min, 0),
            amount_max=grown(self.amount_max, 0),
            has_min=grown(self.has_min, False),
            has_max=grown(self.has_max, False),
            nationwide=grown(self.nationwide, False),
            live=grown(self.live, False),
        )
        index.ids[self.size :] = added
        lookup = self._lookup
        if added and max(added) >= len(lookup):
            lookup = np.pad(lookup, (0, max(added) + 1 - len(lookup)), constant_values=-1)
        else:
            lookup = lookup.copy()
        lookup[added] = np.arange(self.size, size)
        touched = np.concatenate([old_positions, np.arange(self.size, size)]).astype(np.int64)
        columns = _columns([published.get(int(pk)) or _gone(int(pk)) for pk in index.ids[touched]])
        for name, values in columns.items():
            if name != "ids":
                getattr(index, name)[touched] = values
        gone = touched[~index.live[touched]]
        lookup[index.ids[gone]] = -1
        index.__dict__["_lookup"] = lookup
        current = [pk for pk in ids if pk in published]
        for facet, pairs in _single_pairs([published[pk] for pk in current]).items():
            index.links[facet] = self.links[facet].patched(index, touched, pairs)
        for facet, sql in _link_queries(current).items():
            pairs = _fetch(sql, current) if current else ()
            index.links[facet] = self.links[facet].patched(index, touched, pairs)
        # Orders are re-placed when first asked for (each costs two small queries).
        # (Copies: another thread may be adding an order to this index meanwhile.)
        for key, (order, dirty) in list(self._stale_orders.items()):
            index._stale_orders[key] = (order, np.union1d(dirty, touched))
        for key, order in list(self._orders.items()):
            index._stale_orders[key] = (order, touched)
        index.patches = self.patches + 1
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
        return self.live.copy()

    # --- the rules of the queryset methods, on arrays ---------------------------------------

    def award_overlaps(
        self, low_kzt: Decimal | None, high_kzt: Decimal | None, *, with_unstated: bool = False
    ) -> np.ndarray:
        """ProgrammeQuerySet.award_overlaps: a stated minimum, at most ``high``; a maximum of at
        least ``low``, or none; or, ``with_unstated``, no stated amount."""
        mask = self.has_min.copy()
        if high_kzt is not None:
            mask &= self.amount_min <= _bound(high_kzt, ROUND_FLOOR)
        if low_kzt is not None:
            mask &= ~self.has_max | (self.amount_max >= _bound(low_kzt, ROUND_CEILING))
        if with_unstated:
            mask |= ~self.has_min
        return mask

    def closing_within(self, days: int) -> np.ndarray:
        """ProgrammeQuerySet.closing_within: open today and closing in ``days`` days or fewer."""
        last = (self.today + datetime.timedelta(days=days)).toordinal()
        return (self.status == STATUS_CODES[Status.OPEN]) & (self.closes_on >= 0) & (self.closes_on <= last)

    def with_statuses(self, statuses) -> np.ndarray:
        return np.isin(self.status, [STATUS_CODES[s] for s in statuses])

    def available_in(self, location_ids) -> np.ndarray:
        """ProgrammeQuerySet.available_in: nationwide, or applicable from one of the places."""
        return self.nationwide | self.links[facets.PLACES.parameter].having(location_ids)

    def having(self, facet: facets.Facet, term_ids) -> np.ndarray:
        """``facet.apply`` (ProgrammeQuerySet.linked_to, available_in, organisation__in): the
        programmes matching any of ``term_ids``."""
        if facet.by_reach:
            return self.available_in(term_ids)
        return self.links[facet.parameter].having(term_ids)

    def status_counts(self, mask: np.ndarray) -> dict[str, int]:
        counts = np.bincount(self.status[mask], minlength=len(STATUS_CODES))
        return {value: int(counts[code]) for value, code in STATUS_CODES.items() if counts[code]}

    # --- orders ------------------------------------------------------------------------

    def order(self, sort: str) -> np.ndarray:
        """Every position in the order ``sort`` puts programmes (in the active language, which
        titles sort by), fetched from the database once per index, or re-placing only the
        patched programmes in the order of the index this one was patched from."""
        key = (sort, get_language())
        if key in self._orders:
            return self._orders[key]
        stale = self._stale_orders.get(key)
        if stale is not None:
            order = self._replace(sort, *stale)
            if order is not None:
                if self._settled():
                    self._orders[key] = order
                    self._stale_orders.pop(key, None)
                return order
        self._orders[key] = self._fetch_order(sort)
        self._stale_orders.pop(key, None)
        return self._orders[key]

    def _fetch_order(self, sort: str) -> np.ndarray:
        positions, _found = self.positions_of(list(self._order_queryset(sort).values_list("pk", flat=True)))
        # Fetched later than the index was built: a programme unpublished since (by another
        # process, and not yet patched out) is still counted, so it is listed too, last. (The
        # next patch re-places the programmes such a commit changed.)
        missing = np.setdiff1d(np.flatnonzero(self.live), positions, assume_unique=True)
        return np.concatenate([positions, missing])

    def _settled(self) -> bool:
        """Whether the database still holds this index's version: then what was just read from
        it (a re-placed order) is this version's, and may be kept."""
        if self.version is None:
            return True
        return versioning._read().key == self.version.key

    def _order_queryset(self, sort: str):
        from .models import Programme

        published = Programme.objects.published().with_status(self.today)
        if sort == "relevance":  # the order among equally relevant programmes
            return published.order_by(*relevance_ties())
        return published.ordered_by(sort)

    def _replace(self, sort: str, order: np.ndarray, dirty: np.ndarray) -> np.ndarray | None:
        """``order`` with the ``dirty`` positions taken out and the live ones put back where
        ``sort`` places them. Every sort is a total order on a programme's own row (slug last),
        so the others keep their places; where each dirty one goes is read from the database
        among about 2·√n programmes: first among every √n-th of the others, then among the run
        of others between the two it fell between."""
        keep_mask = self.live.copy()
        keep_mask[dirty] = False
        keep = order[keep_mask[order]]
        inserted = dirty[self.live[dirty]]
        if not len(inserted):
            return keep
        queryset = self._order_queryset(sort)

        def ranked(positions: np.ndarray) -> list[int]:
            ids = self.ids[positions].tolist()
            found = queryset.filter(pk__in=ids).values_list("pk", flat=True)
            return self.positions_of(list(found))[0].tolist()

        wanted = set(inserted.tolist())
        step = max(1, math.isqrt(len(keep)))
        anchors = keep[::step]
        buckets, seen = set(), -1
        for position in ranked(np.concatenate([anchors, inserted])):
            if position in wanted:
                if seen >= 0:
                    buckets.add(seen)
            else:
                seen += 1
        members = [keep[b * step : (b + 1) * step] for b in sorted(buckets)]
        if sum(len(run) for run in members) > _REPLACE_LIMIT:
            return None  # re-placed in so many places that fetching the whole order is cheaper
        rank = {
            position: b * step + number
            for b, run in zip(sorted(buckets), members, strict=True)
            for number, position in enumerate(run.tolist())
        }
        places, values, last = [], [], -1
        for position in ranked(np.concatenate([*members, inserted])):
            if position in wanted:
                places.append(last + 1)
                values.append(position)
            else:
                last = rank[position]
        result = np.insert(keep, places, values) if values else keep
        # Unpublished again in the meantime (the database no longer lists them): last, as above.
        missing = np.setdiff1d(inserted, values)
        return np.concatenate([result, missing]) if len(missing) else result

    def ordered(self, mask: np.ndarray, sort: str, match: Match | None = None) -> Ordered:
        """The positions in ``mask``, in the order of ``sort``; by the relevance of ``match``
        (higher first) when given, ties in the relevance order."""
        if match is None:
            order = self.order(sort)
            return Ordered(order[mask[order]])
        order = self.order("relevance")
        return Ordered(order[mask[order]], match)


class Ordered:
    """The positions of a search's results in order, read a slice at a time.

    By relevance, the programmes with every word in their titles (``Match.every_word_in_title``,
    the highest relevance there is) come first, in the order of ties; a page among them is taken
    from those alone, and only a page further down ranks every result (and reads the tiers that
    needs).
    """

    def __init__(self, chosen: np.ndarray, match: Match | None = None):
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
            if self._match.every_word_in_title is not None and step == 1:
                best = self._chosen[self._match.every_word_in_title[self._chosen]]
                if stop <= len(best):
                    return best[start:stop]
            relevance = self._match.relevance
            self._all = self._chosen[np.argsort(-relevance[self._chosen], kind="stable")]
        return self._all[item]


def _read_rows(today: datetime.date, ids: list[int] | None = None) -> list[tuple]:
    """The published programmes' rows as the index reads them (ROW), by id; only ``ids``
    when given."""
    from .models import Programme

    # Amounts in whole tiyn from the database (they have two decimals), and the rows read
    # straight from the cursor: through the ORM's values_list the 100,000 rows took twice as long.
    rows = Programme.objects.published().with_status(today)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    rows = (
        rows.annotate(
            tiyn_min=Cast(Round(F("amount_min_kzt") * 100), BigIntegerField()),
            tiyn_max=Cast(Round(F("amount_max_kzt") * 100), BigIntegerField()),
        )
        .order_by("pk")
        .values_list(*ROW)
    )
    sql, params = rows.query.sql_with_params()
    # The SQL puts fields before annotations; the outer select restores the order of ROW.
    columns = ", ".join(f'q."{name}"' for name in ROW)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM ({sql}) q", params)  # noqa: S608  (constants)
        return cursor.fetchall()


def _gone(pk: int) -> tuple:
    """The row of a position whose programme is no longer published."""
    return (pk, None, None, None, None, False, *(None for _facet in SINGLE))


def _columns(rows: list[tuple]) -> dict[str, np.ndarray]:
    """ROW tuples as the index's arrays (a status of None: gone)."""
    read = dict(zip(ROW, zip(*rows, strict=True) if rows else [()] * len(ROW), strict=True))
    lows, highs, statuses = read["tiyn_min"], read["tiyn_max"], read["status"]
    return {
        "ids": np.array(read["pk"], dtype=np.int64),
        "status": np.array([STATUS_CODES[s] if s else GONE for s in statuses], dtype=np.int8),
        "closes_on": np.array([d.toordinal() if d else -1 for d in read["closes_on"]], dtype=np.int64),
        "amount_min": np.array([a or 0 for a in lows], dtype=np.int64),
        "amount_max": np.array([a or 0 for a in highs], dtype=np.int64),
        "has_min": np.array([a is not None for a in lows], dtype=bool),
        "has_max": np.array([a is not None for a in highs], dtype=bool),
        "nationwide": np.array([bool(flag) for flag in read["is_nationwide"]], dtype=bool),
        "live": np.array([s is not None for s in statuses], dtype=bool),
    }


def _single_pairs(rows: list[tuple]) -> dict[str, list[tuple[int, int]]]:
    """Per single-term facet (SINGLE), the (programme, term) pairs of ROW tuples."""
    return {
        facet.parameter: [(row[0], row[ROW.index(facet.field.attname)]) for row in rows] for facet in SINGLE
    }


def _only(column: str, ids: list[int] | None) -> str:
    if ids is None:
        return ""
    if connection.vendor == "postgresql":
        return f" WHERE {column} = ANY(%s)"
    return f" WHERE {column} IN ({', '.join(['%s'] * len(ids))})"


def _link_queries(ids: list[int] | None = None) -> dict[str, str]:
    """Per many-to-many facet, the SQL of its (programme, term) pairs (for the place facet: the
    places each programme can be applied from); of ``ids`` only when given."""
    queries = {
        facet.parameter: f"SELECT programme_id, {facet.term_column} FROM {facet.link_table}"  # noqa: S608
        + _only("programme_id", ids)
        for facet in facets.LINK_COUNTED
    }
    queries[facets.PLACES.parameter] = _places_query(ids)
    return queries


def _place_reach() -> str:
    """Pairs (listed, counted): a programme listing place ``listed`` can be applied to from
    ``counted``: the place itself, its region, and (for a region) its cities. The rule of
    ProgrammeQuerySet.available_in, in SQL, from the place model's own table and parent column."""
    place = facets.PLACES.model._meta
    table, parent = place.db_table, place.get_field("parent").column
    return (
        f"SELECT id, id FROM {table} "  # noqa: S608
        f"UNION ALL SELECT id, {parent} FROM {table} WHERE {parent} IS NOT NULL "
        f"UNION ALL SELECT {parent}, id FROM {table} WHERE {parent} IS NOT NULL"
    )


def _places_query(ids: list[int] | None = None) -> str:
    """Every place a programme can be applied from (``_place_reach``)."""
    return (
        f"WITH reach(listed, counted) AS ({_place_reach()}) "  # noqa: S608
        f"SELECT DISTINCT x.programme_id, r.counted FROM {facets.PLACES.link_table} x "
        f"JOIN reach r ON r.listed = x.{facets.PLACES.term_column}" + _only("x.programme_id", ids)
    )


def _bound(amount: Decimal, rounding: str) -> int:
    """An amount in tenge as whole tiyn for comparing with the stored ones, within int64."""
    value = int(amount.scaleb(2).to_integral_value(rounding=rounding))
    return max(int(_INT64.min), min(int(_INT64.max), value))


def _fetch(sql: str, ids: list[int] | None = None) -> np.ndarray:
    """The (programme, term) pairs ``sql`` selects, as an n×2 array (``ids``: its parameters, as
    _only wrote them). On PostgreSQL packed into one bytea by the server (a fifth of the time
    of 230,000 rows through the driver)."""
    params = None if ids is None else ([ids] if connection.vendor == "postgresql" else list(ids))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            packed = f"SELECT string_agg(int8send(a) || int8send(b), ''::bytea) FROM ({sql}) AS x(a, b)"  # noqa: S608
            cursor.execute(packed, params)
            blob = cursor.fetchone()[0]
            return unpack_ids(bytes(blob or b"")).reshape(-1, 2)
        cursor.execute(sql, params)
        return np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)


# --- One index per process ---------------------------------------------------------------------

_lock = threading.Lock()
_current: dict[str, ProgrammeIndex] = {}  # per database alias: the newest index


def current(today: datetime.date) -> ProgrammeIndex:
    """The index of today's published programmes at the directory's current version: the one
    kept, patched with the programmes changed since, or built anew."""
    version = versioning.current()
    with _lock:
        kept = _current.get(connection.alias)
        if (
            kept is not None
            and kept.today == today
            and kept.version.epoch == version.epoch
            and kept.version.number >= version.number
        ):
            # This version's, or a newer one's (a request that read its version before another
            # request of this process brought the index further): never an older state.
            return kept
        index = None
        if kept is not None and kept.today == today:
            changed = versioning.changed_since(kept.version, version)
            if changed is not None and len(changed) <= max(PATCH_LIMIT, kept.size // 20):
                index = kept.patched(changed, version)
        if index is None:
            index = ProgrammeIndex.build(today, version)
        if version.cacheable:
            _current[connection.alias] = index
        return index


def forget() -> None:
    """Drop the kept index (tests: a rolled-back test database reuses version numbers)."""
    with _lock:
        _current.clear()
