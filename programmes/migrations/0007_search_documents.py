"""Search documents split in two, facet arrays, and a narrow table row (PostgreSQL only).

Measured (docs/benchmarks.md): one wide vector per row was read, de-TOASTed, to rank every
match of a common word, and facet counts joined five link tables once per facet. Now the ranked
vector holds titles, summaries and organisation names only, the long texts have their own
vector and index, facet counts read arrays on the row, and long columns are moved out of line
sooner (toast_tuple_target), which halved the table's main heap (110 to 56 MB at 28,000 rows).
"""

import django.contrib.postgres.search
from django.db import migrations

FACET_COLUMNS = ("facet_types", "facet_sectors", "facet_applicants", "facet_sizes", "facet_places")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in FACET_COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE programmes_programme ADD COLUMN IF NOT EXISTS {column} bigint[] NOT NULL DEFAULT '{{}}'"
        )
        # Small and read for every match: never compressed or moved out of the row.
        schema_editor.execute(f"ALTER TABLE programmes_programme ALTER COLUMN {column} SET STORAGE PLAIN")
    schema_editor.execute("ALTER TABLE programmes_programme SET (toast_tuple_target = 256)")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS programme_search_body_gin ON programmes_programme USING gin (search_body)"
    )
    # Rebuilt after the last migration has run (programmes.signals.rebuild_missing_documents).
    # The case-folded copies serve SQLite's search only (search.document_for): emptied here.
    schema_editor.execute(
        "UPDATE programmes_programme SET search_vector = NULL, search_body = NULL, search_text = '', "
        "search_title = ''"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS programme_search_body_gin")
    schema_editor.execute("ALTER TABLE programmes_programme RESET (toast_tuple_target)")
    for column in FACET_COLUMNS:
        schema_editor.execute(f"ALTER TABLE programmes_programme DROP COLUMN IF EXISTS {column}")


class Migration(migrations.Migration):
    dependencies = [("programmes", "0006_search_indexes")]

    operations = [
        migrations.AddField(
            model_name="programme",
            name="search_body",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
