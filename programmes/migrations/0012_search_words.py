"""The vocabulary that misspelt words are corrected against (search.spelt_alike), with a
trigram index. PostgreSQL only; on SQLite the table is created and stays empty.

The typo fallback compared the whole query with the Latin titles of every programme, and at
100,000 programmes the planner chose to do that row by row (2 to 11 s for one search,
docs/benchmarks.md). Correcting each word against the few thousand distinct words of the
titles, then matching the corrections through the title documents, takes milliseconds.
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS searchword_trgm ON programmes_searchword USING gin (word gin_trgm_ops)"
    )
    # The words of the programmes there are (new ones are added as their documents are built).
    schema_editor.execute(
        "INSERT INTO programmes_searchword (word) SELECT DISTINCT w FROM programmes_programme p, "
        "unnest(tsvector_to_array(to_tsvector('simple', p.search_latin))) w WHERE w !~ '[0-9]' "
        "ON CONFLICT DO NOTHING"
    )


class Migration(migrations.Migration):
    dependencies = [("programmes", "0011_search_document_table")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[("word", models.TextField(primary_key=True, serialize=False))],
            options={
                "verbose_name": "search word",
                "verbose_name_plural": "search words",
                "default_permissions": (),
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
