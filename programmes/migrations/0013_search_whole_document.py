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

# 0011's function, as it was, for migrating backwards.
OLD_MATCHES = """
CREATE OR REPLACE FUNCTION programme_document_matches(
    query tsquery, OUT title bytea, OUT short bytea, OUT body bytea
)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    SELECT string_agg(int8send(d.programme_id), ''::bytea) INTO title
    FROM programmes_searchdocument d WHERE d.title @@ query;
    SELECT string_agg(int8send(d.programme_id), ''::bytea) INTO short
    FROM programmes_searchdocument d WHERE d.short @@ query;
    SELECT string_agg(int8send(d.programme_id), ''::bytea) INTO body
    FROM programmes_searchdocument d WHERE d.body @@ query;
END
$$
"""


def drop_old(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS programme_document_matches(tsquery)")
    schema_editor.execute("DROP INDEX IF EXISTS searchdocument_body_gin")


def create_new(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The whole document is the three together (search.vector_sql builds it so from now on);
    # filled before its index exists, which is cheaper than updating the index row by row.
    schema_editor.execute(
        "UPDATE programmes_searchdocument "
        "SET whole = coalesce(title, ''::tsvector) || coalesce(short, ''::tsvector) || coalesce(whole, ''::tsvector)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS searchdocument_whole_gin ON programmes_searchdocument USING gin (whole)"
    )
    schema_editor.execute(DOCUMENT_IDS)


def drop_new(apps, schema_editor):
    # Backwards: the old code reads the three documents and keeps the best tier, so a body that
    # also holds the titles and summaries gives it the same results; it is left as it is.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS programme_document_ids(text, tsquery)")
    schema_editor.execute("DROP INDEX IF EXISTS searchdocument_whole_gin")


def create_old(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
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
