"""A page of result cards: the programmes at some of a search's positions, with their named terms.

``Results`` is the sequence the Paginator slices: the in-memory index (index.py) gives the order,
and only the page asked for is read from the database. ``attach_card_terms`` gives those
programmes the terms a card shows (the facet table's named facets: types, sectors, places) from
one query and the term lists the sidebar caches anyway (caching.cached_terms), instead of a
prefetch per relation: a prefetch built 60–100 term instances for a page of 20 programmes in
three queries, 13 of the 17 ms it took to read a page at 100,000 programmes (docs/benchmarks.md).
They are read through ``Programme.linked`` (models/programmes.py), which falls back to the
relation itself for a programme read any other way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import prefetch_related_objects

from . import caching, facets
from .index import Ordered


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
        attach_card_terms(list(found.values()))
        return [found[pk] for pk in ids if pk in found]


def attach_card_terms(programmes: list) -> None:
    """Set each programme's ``card_terms``: {relation: its terms in display order} for every
    named facet, read by ``Programme.linked``."""
    if not programmes:
        return
    ids = [programme.pk for programme in programmes]
    marks = ", ".join(["%s"] * len(ids))
    sql = " UNION ALL ".join(
        f"SELECT programme_id, {number}, {facet.term_column} FROM {facet.link_table} "  # noqa: S608
        f"WHERE programme_id IN ({marks})"
        for number, facet in enumerate(facets.NAMED)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids * len(facets.NAMED))
        rows = cursor.fetchall()
    terms = [{term.pk: term for term in caching.cached_terms(facet.model)} for facet in facets.NAMED]
    if any(term not in terms[number] for _pk, number, term in rows):
        # A term newer than the cached lists (saved by another process a moment ago): the
        # relations themselves, which ``linked`` then reads.
        prefetch_related_objects(programmes, *(facet.relation for facet in facets.NAMED))
        return
    linked: dict = {}
    for pk, number, term in rows:
        linked.setdefault((pk, number), set()).add(term)
    for programme in programmes:
        # In the terms' own order (Taxonomy.Meta.ordering), which the cached lists keep.
        programme.card_terms = {
            facet.relation: [
                term for pk, term in terms[number].items() if pk in linked.get((programme.pk, number), ())
            ]
            for number, facet in enumerate(facets.NAMED)
        }
