"""The search migrations: 0013 (the whole search document) on PostgreSQL, backwards and forwards
again; 0019 (the search tables' GIN indexes handed over to Meta.indexes) on both databases."""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from programmes.models import SearchDocument, SearchWord
from programmes.search import documents
from tests.factories import ProgrammeFactory, SectorFactory


def _documents() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT programme_id, title::text, short::text, whole::text FROM programmes_searchdocument"
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


@pytest.mark.postgres
def test_0013_migrates_back_to_the_old_documents_and_forward_to_the_same_whole_ones(transactional_db):
    film = SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино")
    ProgrammeFactory(
        slug="one",
        title_en="Tolqyn Film Grant",
        summary_en="Money for debut films.",
        description_en="Producers under 35 apply with a script.",
        eligibility_ru="Режиссёры до 35 лет.",
        sectors=[film],
    )
    ProgrammeFactory(slug="two", title_en="Craft Loan", summary_en="Loans for crafts.")
    before = _documents()
    assert len(before) == 2

    # Back to 0012: its post_migrate rebuild must leave that schema's documents alone.
    call_command("migrate", "programmes", "0012", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.slug, d.body::text FROM programmes_searchdocument d "
            "JOIN programmes_programme p ON p.id = d.programme_id ORDER BY p.slug"
        )
        bodies = dict(cursor.fetchall())
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'programme_document_%%'")
        functions = {row[0] for row in cursor.fetchall()}
    # The long texts and term names only, as 0011's code built them: no title, no summary.
    lexemes = set(re.findall(r"'([^']+)'", bodies["one"]))
    assert {"produc", "script", "film", "кин"} <= lexemes
    assert not lexemes & {"tolqyn", "grant", "debut", "money"}
    assert functions == {"programme_document_matches"}

    call_command("migrate", "programmes", verbosity=0)
    assert _documents() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'programme_document_%%'")
        assert {row[0] for row in cursor.fetchall()} == {"programme_document_ids"}
    # And today's code builds the same whole documents as the migration did.
    documents.update_vectors(None)
    assert _documents() == before

    # From before the document table: 0011 creates it empty, and the rebuild after 0012 must
    # wait for the shape today's code writes (0013); the rebuild after 0013 fills it.
    call_command("migrate", "programmes", "0010", verbosity=0)
    call_command("migrate", "programmes", "0012", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM programmes_searchdocument")
        assert cursor.fetchone()[0] == 0
    call_command("migrate", "programmes", verbosity=0)
    assert _documents() == before


# The GIN indexes of the search tables, as Meta.indexes declares them and pg_indexes shows them.
SEARCH_INDEXES = {
    "searchdocument_title_gin": "CREATE INDEX searchdocument_title_gin ON public.programmes_searchdocument "
    "USING gin (title)",
    "searchdocument_short_gin": "CREATE INDEX searchdocument_short_gin ON public.programmes_searchdocument "
    "USING gin (short)",
    "searchdocument_whole_gin": "CREATE INDEX searchdocument_whole_gin ON public.programmes_searchdocument "
    "USING gin (whole)",
    "searchword_trgm": "CREATE INDEX searchword_trgm ON public.programmes_searchword USING gin (word gin_trgm_ops)",
}


def _search_indexes() -> dict[str, tuple[str, int]]:
    """Each search table's index: its definition and its oid (a rebuilt index has a new oid)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef, c.oid FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = i.schemaname::regnamespace "
            "WHERE i.tablename IN ('programmes_searchdocument', 'programmes_searchword') "
            "AND i.indexdef LIKE '%% USING gin %%'"
        )
        return {name: (definition, oid) for name, definition, oid in cursor.fetchall()}


def test_search_indexes_are_declared_in_the_models():
    declared = {index.name for model in (SearchDocument, SearchWord) for index in model._meta.indexes}
    assert declared == set(SEARCH_INDEXES)


@pytest.mark.postgres
def test_declared_search_indexes_exist_with_their_definitions(db):
    assert {name: definition for name, (definition, _oid) in _search_indexes().items()} == SEARCH_INDEXES


@pytest.mark.postgres
def test_0019_keeps_the_search_indexes_and_rebuilds_only_a_missing_or_different_one(transactional_db):
    before = _search_indexes()

    call_command("migrate", "programmes", "0018", verbosity=0)
    assert _search_indexes() == before  # the raw-SQL indexes of 0011-0013 stay
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX searchdocument_whole_gin")
        cursor.execute("DROP INDEX searchword_trgm")
        cursor.execute("CREATE INDEX searchword_trgm ON programmes_searchword (word)")
    call_command("migrate", "programmes", verbosity=0)

    after = _search_indexes()
    assert {name: definition for name, (definition, _oid) in after.items()} == SEARCH_INDEXES
    kept = ("searchdocument_title_gin", "searchdocument_short_gin")
    assert {name: after[name][1] for name in kept} == {name: before[name][1] for name in kept}


def test_0019_migrates_on_sqlite_and_django_migrates_nothing_of_the_search_tables_there(transactional_db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's half of 0019")
    call_command("migrate", "programmes", "0018", verbosity=0)
    call_command("migrate", "programmes", verbosity=0)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name IN ('programmes_searchdocument', 'programmes_searchword') AND sql IS NOT NULL"
        )
        assert cursor.fetchall() == []
        tables = set(connection.introspection.table_names(cursor))
    # The tables are there (empty) ...
    assert {"programmes_searchdocument", "programmes_searchword"} <= tables
    # ... and a later migration of them is skipped on SQLite, so it never tries a GIN index there.
    state = MigrationExecutor(connection).loader.project_state()
    for name in ("searchdocument", "searchword"):
        assert not state.apps.get_model("programmes", name)._meta.can_migrate(connection)
    assert state.apps.get_model("programmes", "programme")._meta.can_migrate(connection)
