"""The third search document holds every text of a programme (``whole``), not only the long
texts, so that one GIN scan says whether a programme has a word anywhere.

Measured at 100,000 programmes (docs/benchmarks.md): a common word ("деньги" with its synonyms)
was matched in all three documents for every search, 165,000 ids in 56–100 ms, although only
the answer "anywhere" decides what is found and counted; the title document alone decides the
first page when it holds enough matches. The relevance tiers keep their meaning: the worth of a
word group is that of the best document it is in, and ``whole`` contains the other two.

The function that read three documents per tsquery gives way to one that reads the document
named. PostgreSQL only; on SQLite the table stays empty.
"""

from importlib import import_module

from django.db import migrations

# For one document (title, short or whole) and one tsquery, the ids (8-byte big-endian,
# concatenated) of the programmes whose document matches. A function because of its SET clauses:
# planned with sequential scans off, so the GIN indexes are used (the planner cannot estimate
# prefix queries and would read every document), and planned once per connection.
DOCUMENT_IDS = """
CREATE OR REPLACE FUNCTION programme_document_ids(document text, query tsquery)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    ids bytea;
BEGIN
    IF document = 'title' THEN
        SELECT string_agg(int8send(d.programme_id), ''::bytea) INTO ids
        FROM programmes_searchdocument d WHERE d.title @@ query;
    ELSIF document = 'short' THEN
        SELECT string_agg(int8send(d.programme_id), ''::bytea) INTO ids
        FROM programmes_searchdocument d WHERE d.short @@ query;
    ELSIF document = 'whole' THEN
        SELECT string_agg(int8send(d.programme_id), ''::bytea) INTO ids
        FROM programmes_searchdocument d WHERE d.whole @@ query;
    ELSE
        RAISE EXCEPTION USING MESSAGE = 'no search document ' || document;
    END IF;
    RETURN coalesce(ids, ''::bytea);
END
$$
"""

# 0011's function, for migrating backwards: its own text (migration modules keep theirs frozen).
OLD_MATCHES = import_module("programmes.migrations.0011_search_document_table").MATCHES


_TERM_NAMES = " UNION ALL ".join(
    f"SELECT x.programme_id, t.name_kk, t.name_ru, t.name_en FROM programmes_programme_{link} x "
    f"JOIN programmes_{table} t ON t.id = x.{column}"
    for link, table, column in (
        ("types", "programmetype", "programmetype_id"),
        ("sectors", "sector", "sector_id"),
        ("locations", "location", "location_id"),
    )
)
OLD_BODY = f"""
    WITH n AS (
        SELECT l.programme_id AS id, string_agg(l.name_kk, ' ') AS names_kk,
               string_agg(l.name_ru, ' ') AS names_ru, string_agg(l.name_en, ' ') AS names_en
        FROM ({_TERM_NAMES}) l
        GROUP BY l.programme_id
    )
    UPDATE programmes_searchdocument d SET body =
        to_tsvector('russian', concat_ws(' ', p.description_ru, p.eligibility_ru, p.how_to_apply_ru, n.names_ru))
        || to_tsvector('english', concat_ws(' ', p.description_en, p.eligibility_en, p.how_to_apply_en, n.names_en))
        || to_tsvector('simple', concat_ws(' ', p.description_kk, p.eligibility_kk, p.how_to_apply_kk, n.names_kk))
    FROM programmes_programme p LEFT JOIN n ON n.id = p.id
    WHERE p.id = d.programme_id
"""  # noqa: S608  (constants only)


def drop_old(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS programme_document_matches(tsquery)")
    schema_editor.execute("DROP INDEX IF EXISTS searchdocument_body_gin")


def create_new(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The whole document is the three together (search.vector_sql builds it so from now on);
    # filled before its index exists, which is cheaper than updating the index row by row
    # (23 s at 100,000 programmes; the other indexes still get a new entry per row).
    schema_editor.execute(
        "UPDATE programmes_searchdocument "
        "SET whole = coalesce(title, ''::tsvector) || coalesce(short, ''::tsvector) || coalesce(whole, ''::tsvector)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS searchdocument_whole_gin ON programmes_searchdocument USING gin (whole)"
    )
    schema_editor.execute(DOCUMENT_IDS)


def drop_new(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS programme_document_ids(text, tsquery)")
    schema_editor.execute("DROP INDEX IF EXISTS searchdocument_whole_gin")


def create_old(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The long texts and term names alone again, as 0011's code built them (a frozen copy), so
    # that migrating forward again makes the same whole documents, not titles twice over.
    schema_editor.execute(OLD_BODY)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS searchdocument_body_gin ON programmes_searchdocument USING gin (body)"
    )
    schema_editor.execute(OLD_MATCHES)


class Migration(migrations.Migration):
    dependencies = [("programmes", "0012_search_words")]

    operations = [
        migrations.RunPython(drop_old, create_old),
        migrations.RenameField(model_name="searchdocument", old_name="body", new_name="whole"),
        migrations.RunPython(create_new, drop_new),
    ]
