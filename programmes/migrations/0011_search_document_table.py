"""The search documents move to a narrow table of their own, one vector per relevance tier;
the facet arrays on the programme row go (the search page counts in memory, programmes/index.py).

Measured at 100,000 programmes (docs/benchmarks.md): finding the 30,000 matches of a common word
through the GIN index of the wide programme table visited most of its 17,000 pages, and the
planner, misjudging prefix queries, often chose to read every document instead. Here the
vectors are stored out of line, so a row is about 100 bytes, and matches are read by a function
that plans without sequential scans. PostgreSQL only; on SQLite the table is created and stays
empty. The documents themselves are built after the last migration (signals.py).
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

TITLE_COLUMNS = ("title", "title_kk", "title_ru", "title_en")
FACET_COLUMNS = ("facet_types", "facet_sectors", "facet_applicants", "facet_sizes", "facet_places")

# For one tsquery, the ids (8-byte big-endian, concatenated) of the programmes whose title,
# short and body documents match it. A function because of its SET clauses: its statements are
# planned with sequential scans off, so they use the GIN indexes, which is what they are for,
# and planned once per connection (PL/pgSQL keeps the generic plan: there is only one path).
MATCHES = """
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


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in FACET_COLUMNS:
        schema_editor.execute(f"ALTER TABLE programmes_programme DROP COLUMN IF EXISTS {column}")
    schema_editor.execute("ALTER TABLE programmes_programme RESET (toast_tuple_target)")
    # 0007's low target moved even titles out of line, so every sort by title de-TOASTed each
    # of them at each comparison (15 s for 100,000 programmes). Written back into the row (a
    # new value, so the toaster decides afresh under the default target).
    schema_editor.execute(
        "UPDATE programmes_programme SET slug = slug || '', "
        + ", ".join(f"{column} = {column} || ''" for column in TITLE_COLUMNS)
    )
    for column in ("title", "short", "body"):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS searchdocument_{column}_gin "
            f"ON programmes_searchdocument USING gin ({column})"
        )
    # Vectors compressed and moved out of the row early: the row keeps pointers (about 100
    # bytes in all), since a search only reads the indexes and the ids.
    schema_editor.execute("ALTER TABLE programmes_searchdocument SET (toast_tuple_target = 128)")
    schema_editor.execute(MATCHES)


def recreate_old_indexes(apps, schema_editor):
    # Backwards only, once the old columns are back: their GIN indexes (0006, 0007) went with them.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS programme_search_vector_gin ON programmes_programme USING gin (search_vector)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS programme_search_body_gin ON programmes_programme USING gin (search_body)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS programme_document_matches(tsquery)")
    # As 0007 left them; the re-added (empty) search_vector makes post_migrate refill them.
    for column in FACET_COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE programmes_programme "
            f"ADD COLUMN IF NOT EXISTS {column} bigint[] NOT NULL DEFAULT '{{}}'"
        )
        schema_editor.execute(f"ALTER TABLE programmes_programme ALTER COLUMN {column} SET STORAGE PLAIN")
    schema_editor.execute("ALTER TABLE programmes_programme SET (toast_tuple_target = 256)")


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0010_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "programme",
                    models.OneToOneField(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="document",
                        serialize=False,
                        to="programmes.programme",
                    ),
                ),
                ("title", django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
                ("short", django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
                ("body", django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
            ],
            options={
                "verbose_name": "search document",
                "verbose_name_plural": "search documents",
                "default_permissions": (),
            },
        ),
        migrations.RunPython(migrations.RunPython.noop, recreate_old_indexes),
        migrations.RemoveField(
            model_name="programme",
            name="search_body",
        ),
        migrations.RemoveField(
            model_name="programme",
            name="search_vector",
        ),
        migrations.RunPython(forwards, backwards),
    ]
