"""The search documents on PostgreSQL: what each programme is found by, rebuilt in the database.

GIN-indexed ``tsvector`` documents per programme in their own table (models.SearchDocument), one
per relevance tier (query.TIERS), built by one statement (``vector_sql``) from the saved rows and
their links; the title words of published programmes feed the typo vocabulary
(models.SearchWord, read by postgres.spelt_alike). ``update_vectors`` rebuilds some or all,
``deferred_vector_updates`` batches the rebuilds of an import into one statement. On SQLite
there is nothing to rebuild: it searches the folded columns of the programme row (sqlite.py).

The tables come from the models' own names (``_meta.db_table``, the facet table's link tables),
so a renamed model or relation changes the SQL with it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator

from django.db import connection, connections

from .. import facets
from ..choices import PublicationState
from ..models import Organisation, Programme, SearchDocument

# Each language's text search configuration: Kazakh has no stemmer in PostgreSQL (``simple``,
# matched by prefix instead).
_STEMMED = {"ru": "russian", "en": "english", "kk": "simple"}


def vector_sql(only_ids: bool) -> str:
    """One statement that rebuilds the search documents (models.SearchDocument) of the
    programme ids given as its one parameter, or of all.

    Three vectors, one per tier (query.TIERS): ``title`` holds the titles and their Latin spelling,
    ``short`` the summaries and the organisation's names, ``whole`` those two and the long texts
    and the names of the types, sectors and places, so that one scan of its index tells whether
    a programme has a word anywhere. Russian and English stemmed, Kazakh with ``simple`` (found
    by prefix). Built from constants only.

    Concatenated vectors number their words on, so a quoted phrase can span the end of one part
    and the start of the next (a title's last word and the summary's first), as it could before
    between the languages of a title; such a match is worth the least (the whole document's).
    """
    where = "WHERE x.programme_id = ANY(%(ids)s)" if only_ids else ""
    links = " UNION ALL ".join(
        f"SELECT x.programme_id, t.name_kk, t.name_ru, t.name_en FROM {facet.link_table} x "  # noqa: S608
        f"JOIN {facet.term_table} t ON t.id = x.{facet.term_column} {where}"
        for facet in facets.NAMED
    )
    programme, organisation = Programme._meta, Organisation._meta
    title = " || ".join(
        [
            *(f"to_tsvector('{cfg}', coalesce(p.title_{lang}, ''))" for lang, cfg in _STEMMED.items()),
            "to_tsvector('simple', p.search_latin)",
        ]
    )
    short = " || ".join(
        f"to_tsvector('{cfg}', concat_ws(' ', p.summary_{lang}, o.name_{lang}))"
        for lang, cfg in _STEMMED.items()
    )
    body = " || ".join(
        f"to_tsvector('{cfg}', concat_ws(' ', p.description_{lang}, p.eligibility_{lang}, "
        f"p.how_to_apply_{lang}, n.names_{lang}))"
        for lang, cfg in _STEMMED.items()
    )
    return f"""
        WITH n AS (
            SELECT l.programme_id AS id, string_agg(l.name_kk, ' ') AS names_kk,
                   string_agg(l.name_ru, ' ') AS names_ru, string_agg(l.name_en, ' ') AS names_en
            FROM ({links}) l
            GROUP BY l.programme_id
        )
        INSERT INTO {SearchDocument._meta.db_table} (programme_id, title, short, whole)
        SELECT p.id, v.title, v.short, v.title || v.short || v.body
        FROM {programme.db_table} p
        JOIN {organisation.db_table} o ON o.id = p.{programme.get_field("organisation").column}
        LEFT JOIN n ON n.id = p.id
        CROSS JOIN LATERAL (SELECT {title} AS title, {short} AS short, {body} AS body) v
        {"WHERE p.id = ANY(%(ids)s)" if only_ids else ""}
        ON CONFLICT (programme_id) DO UPDATE
        SET title = EXCLUDED.title, short = EXCLUDED.short, whole = EXCLUDED.whole
    """  # noqa: S608


_deferred: contextvars.ContextVar[set | None] = contextvars.ContextVar(
    "deferred_vector_updates", default=None
)


def update_vectors(ids: Iterable[int] | None) -> None:
    """Rebuild the full-text documents of these programmes (all when ``ids`` is None).

    Inside ``deferred_vector_updates()`` the ids are collected and rebuilt once at the end, so an
    import of thousands of rows runs one statement, not several per row.
    """
    if connection.vendor != "postgresql":
        return
    pending = _deferred.get()
    if pending is not None and ids is not None:
        pending.update(i for i in ids if i is not None)
        return
    with connection.cursor() as cursor:
        if ids is None:
            _rebuild(cursor, None)
        else:
            ids = [i for i in ids if i is not None]
            if ids:
                _rebuild(cursor, ids)


def _rebuild(cursor, ids: list[int] | None) -> None:
    """Rebuild the documents of ``ids`` (all when None) and add their title words to the
    typo vocabulary."""
    only_ids = ids is not None
    cursor.execute(vector_sql(only_ids), {"ids": ids} if only_ids else None)
    # The title words of published programmes join the vocabulary typos are corrected against
    # (spelt_alike). Only published ones: the "Showing results for …" line prints the correction,
    # so a draft's words there would reveal an unannounced title to anyone guessing its start.
    cursor.execute(
        "INSERT INTO programmes_searchword (word) SELECT DISTINCT w FROM programmes_programme p, "  # noqa: S608
        "unnest(tsvector_to_array(to_tsvector('simple', p.search_latin))) w "
        # Numbers are left out: there is nothing to correct in them.
        + "WHERE w !~ '[0-9]' AND p.state = %(published)s "
        + ("AND p.id = ANY(%(ids)s) " if only_ids else "")
        + "ON CONFLICT DO NOTHING",
        {"ids": ids, "published": PublicationState.PUBLISHED},
    )


def rebuild_missing_documents(using: str = "default") -> int:
    """Build the documents of programmes that have none (after a migration emptied them)."""
    target = connections[using]
    if target.vendor != "postgresql":
        return 0
    with target.cursor() as cursor:
        introspection = target.introspection
        if "programmes_searchdocument" not in introspection.table_names(cursor) or "whole" not in {
            column.name for column in introspection.get_table_description(cursor, "programmes_searchdocument")
        }:
            # Migrated back to before the documents had this shape: that schema's code builds them.
            return 0
        cursor.execute(
            "SELECT p.id FROM programmes_programme p WHERE NOT EXISTS "
            "(SELECT FROM programmes_searchdocument d WHERE d.programme_id = p.id)"
        )
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            _rebuild(cursor, ids)  # the triggers advance the directory version
    return len(ids)


@contextlib.contextmanager
def deferred_vector_updates() -> Iterator[None]:
    """Within it, ``update_vectors`` collects the ids; they are rebuilt in one statement at the
    end (or at ``flush_deferred``). Saves inside still rebuild in the same transaction."""
    token = _deferred.set(set())
    try:
        yield
        flush_deferred()
    finally:
        _deferred.reset(token)


def flush_deferred() -> None:
    """Rebuild the documents collected so far in ``deferred_vector_updates()``."""
    pending = _deferred.get()
    if pending:
        ids = sorted(pending)
        pending.clear()
        token = _deferred.set(None)
        try:
            update_vectors(ids)
        finally:
            _deferred.reset(token)
