"""Migration 0013 (the whole search document) on PostgreSQL: backwards and forwards again."""

import re

import pytest
from django.core.management import call_command
from django.db import connection

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
