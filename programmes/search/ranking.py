"""The search page's word matches on PostgreSQL, as masks over the in-memory index (index.py).

``match`` takes the steps of postgres.plan (all words; else any word; else words spelt alike)
on masks instead of with extra queries: it reads the ids each search document matches, through
the GIN indexes, and sums the relevance tiers (query.TIERS) in numpy, reading only the tiers a
page needs. The ids read are kept per process until the directory changes (``MatchCache``).
``Match`` is what a query finds, on either database (sqlite.match makes one on SQLite).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import numpy as np
from django.conf import settings
from django.db import connection

from .. import versioning
from .postgres import group_queries, spelt_alike, word_tsquery
from .query import ALL_WORDS, ANY_WORD, SPELT_ALIKE, TIERS, ParsedQuery, corrected_query


class Match:
    """What a query finds among the programmes of an index (index.py): a mask over its
    positions, and each position's relevance (higher is better).

    The relevance of a common word is the dearest part of a search (its title and summary
    documents hold tens of thousands of ids), and most pages do not need all of it:
    ``every_word_in_title``, when known, marks the programmes with every word group in their
    titles, which have the highest relevance there is, so a page among them is ordered without
    ranking the rest (index.Ordered). ``relevance`` is computed on first use.
    """

    def __init__(
        self,
        found: np.ndarray,
        relevance=None,
        *,
        every_word_in_title: np.ndarray | None = None,
        rank=None,
        step: str = ALL_WORDS,
        corrected: str | None = None,
    ):
        self.found = found
        # The programmes with every word group in a title (the highest relevance), or None.
        self.every_word_in_title = every_word_in_title
        self._relevance = relevance
        self._rank = rank
        # Which step found ``found`` (ALL_WORDS, ANY_WORD, SPELT_ALIKE), and the query as the
        # SPELT_ALIKE step read it: what the search page tells the visitor.
        self.step = step
        self.corrected = corrected if step == SPELT_ALIKE else None

    @property
    def is_partial(self) -> bool:
        """Whether no programme had every word, and those with some of them were found."""
        return self.step == ANY_WORD

    @property
    def relevance(self) -> np.ndarray:
        """Each position's relevance, ranked on first use."""
        if self._relevance is None:
            self._relevance = self._rank()
        return self._relevance


def match(parsed: ParsedQuery, index, ranked: bool = True) -> Match:
    """The programmes of ``index`` (index.ProgrammeIndex) that ``parsed`` (with words) finds on
    PostgreSQL, with their relevance. ``ranked``: whether the results are sorted by relevance
    (otherwise the titles need not be read).

    One statement reads, through the GIN indexes, the ids whose whole document has every word
    group (what is found and counted), those whose title has them all (the best ranked), and
    those with an excluded word; the other tiers are read only when a page needs the full
    ranking, or when every word together finds nothing. Relevance is the TIERS sum, as
    postgres.plan computes it in SQL. The Match says which step found the programmes
    (``Match.step``, ``Match.corrected``).
    """
    size = index.size
    *groups, excluded = group_queries([*parsed.groups, parsed.excluded])
    together = groups[0] if len(groups) == 1 else " & ".join(f"( {group} )" for group in groups)
    # One version for the whole search (versioning.py): its reads are filed under it, and the
    # ranking, read later, must not mix in a newer state of the directory.
    reads = DocumentReads(versioning.current())
    # A group with nothing to look for (a term of signs only: "_") finds nothing, so neither
    # does every group together.
    searched = [("whole", together), ("title", together)][: 2 if ranked else 1] if all(groups) else []
    blobs = reads.ids([*searched, ("whole", excluded)])
    unwanted = _mask(size, _positions(index, blobs[-1]))

    def relevance_per_group(tiers, everywhere: np.ndarray | None = None) -> list[np.ndarray]:
        """Per word group, each programme's relevance: the worth of the best of ``tiers`` the
        group is found in."""
        # When every group is known to be in the whole documents of ``everywhere``, the whole
        # ones (which hold the other two) need not be read.
        found = reads.ids([(tier, group) for group in groups for tier, _worth in tiers])
        result = []
        for number in range(len(groups)):
            worth = np.zeros(size) if everywhere is None else np.where(everywhere, TIERS[-1][1], 0.0)
            group_blobs = found[number * len(tiers) : (number + 1) * len(tiers)]
            for blob, (_tier, value) in reversed(list(zip(group_blobs, tiers, strict=True))):  # best last
                worth[_positions(index, blob)] = value
            result.append(worth)
        return result

    every = _mask(size, _positions(index, blobs[0]) if searched else []) & ~unwanted
    if every.any():
        in_titles = _mask(size, _positions(index, blobs[1])) & every if ranked else None
        return Match(
            every,
            every_word_in_title=in_titles,
            rank=lambda: np.sum(relevance_per_group(TIERS[:-1], every), axis=0),
        )
    if len(groups) > 1:
        # Any word will do; unless the results are ranked, the whole documents alone say which.
        relevance = np.sum(relevance_per_group(TIERS if ranked else TIERS[-1:]), axis=0)
        anything = (relevance > 0) & ~unwanted
        if anything.any():
            return Match(
                anything,
                relevance if ranked else None,
                rank=lambda: np.sum(relevance_per_group(TIERS), axis=0),
                step=ANY_WORD,
            )
    # No word matched anything: titles and organisation names spelt alike (see postgres.plan); per
    # word, the similarity of the closest spelling a programme has.
    corrections = spelt_alike(parsed.terms)
    words = list(dict.fromkeys(word for alike in corrections for word, _s in alike))
    titles = dict(zip(words, reads.ids([("title", word_tsquery(w)) for w in words]), strict=True))
    relevance = np.zeros(size)
    for alike in corrections:
        closest = np.zeros(size)
        for word, similarity in reversed(alike):  # the closest spelling last, so it counts
            closest[_positions(index, titles[word])] = similarity
        relevance += closest
    return Match(
        (relevance > 0) & ~unwanted,
        relevance,
        step=SPELT_ALIKE,
        corrected=corrected_query(parsed.terms, corrections),
    )


def _mask(size: int, positions: np.ndarray) -> np.ndarray:
    """A mask over ``size`` positions, true at ``positions``."""
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask


def _positions(index, blob: bytes) -> np.ndarray:
    """The positions in ``index`` of the ids packed in ``blob`` (those it holds)."""
    return index.positions_of(unpack_ids(blob))[0]


def unpack_ids(blob: bytes) -> np.ndarray:
    """Ids packed by the database with ``int8send`` (8-byte big-endian), as an array."""
    return np.frombuffer(blob, dtype=">i8").astype(np.int64)


class DocumentReads:
    """The ids each (search document, tsquery) matches, for one search under one directory
    version: each read once, whether the match cache had it or not."""

    def __init__(self, version):
        self.version = version
        self._blobs: dict = {}

    def ids(self, wanted) -> list[bytes]:
        """For each (document, tsquery text), the ids (8-byte big-endian, concatenated) of the
        programmes whose document (a tier of TIERS) matches it.

        What is neither read already nor in the match cache is read in one statement, through
        the function of migration 0013, which plans with sequential scans off: the planner
        cannot estimate prefix queries and would otherwise read every document
        (docs/benchmarks.md).
        """
        keys = [(connection.alias, self.version.key, document, text) for document, text in wanted]
        for key in keys:
            if not key[-1]:  # an empty tsquery matches nothing
                self._blobs[key] = b""
            elif key not in self._blobs and self.version.cacheable:
                cached = _match_cache.get(key)
                if cached is not None:
                    self._blobs[key] = cached
        missing = list(dict.fromkeys(key for key in keys if key not in self._blobs))
        if missing:
            columns = ", ".join("programme_document_ids(%s, %s::tsquery)" for _key in missing)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {columns}",
                    [p for _alias, _version, document, text in missing for p in (document, text)],
                )
                for key, blob in zip(missing, cursor.fetchone(), strict=True):
                    self._blobs[key] = bytes(blob)
                    if self.version.cacheable:
                        _match_cache.put(key, self._blobs[key])
        return [self._blobs[key] for key in keys]


class MatchCache:
    """The id sets of recent word matches, per process, until the directory changes.

    The same words come back with other filters, pages and orders ("кино", then "кино" in
    Almaty, then page 2), and for a common word the match is most of a page's time (30–110 ms
    for 30,000–80,000 programmes at 100,000). Keys hold the directory version (versioning.py),
    so a commit in any process makes every entry unreachable, as it does the cached pages.
    Bounded by SEARCH_MATCH_CACHE_BYTES,
    least recently used out first; 0 turns it off (bench_search does, unless --match-cache).
    """

    def __init__(self):
        self._entries: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        if not settings.SEARCH_MATCH_CACHE_BYTES:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            _stored_at, value = entry
            self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        limit = settings.SEARCH_MATCH_CACHE_BYTES
        size = len(value) + 100  # an entry's own keep: empty results are not free
        if not limit or size > limit // 4:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic(), value)
            self._bytes += size
            while self._bytes > limit:
                self._drop(next(iter(self._entries)))

    def _drop(self, key) -> None:
        _stored_at, value = self._entries.pop(key)
        self._bytes -= len(value) + 100

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


_match_cache = MatchCache()
