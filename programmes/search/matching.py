"""Word search's entry points, on whichever database is in use: the only module of the package
that callers outside it need for searching.

- ``filter_by_words(queryset, query)``: a queryset narrowed to the programmes the words find,
  annotated with ``relevance`` (feeds, alerts and exports, through filters.ProgrammeFilter).
- ``match_in_index(query, index)``: what the words find among the positions of the search
  page's in-memory index, with their relevance (filters.ProgrammeFilter.selection).
- ``order_by_relevance(queryset)`` and ``relevance_ties()``: the order of either.

Both take the same steps with the same rules: every word group together; else any of them;
else words spelt alike (``spelt_alike``); and say which step found the results
(``Match.step``, ``SearchPlan.step``), so the search page can tell a visitor that it showed
only some of her words, or other spellings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import F

from . import postgres, ranking, sqlite
from .query import parse

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import Programme


def filter_by_words(queryset: QuerySet[Programme], query: str) -> QuerySet[Programme]:
    """The programmes of ``queryset`` matching ``query``, annotated with ``relevance`` (higher
    is better). A query without words leaves the queryset as it is."""
    parsed = parse(query)
    if not parsed:
        return queryset
    engine = postgres if connection.vendor == "postgresql" else sqlite
    return engine.plan(queryset, parsed).apply(queryset)


def match_in_index(query: str, index, ranked: bool = True) -> ranking.Match | None:
    """The programmes of ``index`` (index.ProgrammeIndex) matching ``query``, with their
    relevance; None when the query has no words. ``ranked``: whether the results are sorted by
    relevance (otherwise the titles need not be read, on PostgreSQL)."""
    parsed = parse(query)
    if not parsed:
        return None
    if connection.vendor == "postgresql":
        return ranking.match(parsed, index, ranked)
    return sqlite.match(parsed, index)


def spelt_alike(terms: list[str]) -> list[list[tuple[str, float]]]:
    """For each word of ``terms``, the words of published titles and organisation names spelt
    most like it, with their similarity, closest first (postgres.spelt_alike, sqlite.spelt_alike:
    the same on both databases)."""
    engine = postgres if connection.vendor == "postgresql" else sqlite
    return engine.spelt_alike(terms)


def order_by_relevance(queryset: QuerySet[Programme]) -> QuerySet[Programme]:
    """Most relevant first; among equals, open before upcoming before closed, then the soonest
    deadline. Without search words there is no relevance: the deadline order applies."""
    if "relevance" not in queryset.query.annotations:
        return queryset.ordered_by("deadline")
    return queryset.with_status().order_by(F("relevance").desc(nulls_last=True), *relevance_ties())


def relevance_ties() -> list:
    """The order among equally relevant programmes (also read by index.ProgrammeIndex.order)."""
    return ["status", F("closes_on").asc(nulls_last=True), "title", "slug"]
