"""The GIN indexes of the search tables become Meta.indexes of SearchDocument and SearchWord, so
that Django knows them: renaming or removing a column they cover now fails at ``manage.py check``
and ``makemigrations --check`` (models.E012), not when a search runs.

Migrations 0011-0013 created them as raw SQL, on PostgreSQL only, with the names and definitions
declared now, so this records them in Django's state and leaves them as they are (a rebuild of
the vocabulary's or the documents' indexes would take minutes at 100,000 programmes). On
PostgreSQL it checks each against pg_indexes: one that is missing is created, one with another
definition is rebuilt.

Both models become PostgreSQL's only (``Meta.required_db_vendor``), in the state too: on SQLite
their tables exist (0011 and 0012 created them; they stay empty) but Django migrates nothing of
them, so no GIN index is ever attempted there, not even when a later migration would rebuild the
table (SQLite alters a column by rebuilding the table with all its indexes). AlterModelOptions
carries the option, with the options it would otherwise reset.

Not here: programme_search_latin_trgm (0006, the trigram index on programmes_programme.
search_latin) stays raw SQL. The programme table exists on SQLite too, and Django has no index for
one database only: in Programme.Meta.indexes it would be created, and fail, on every SQLite
rebuild of the programme table (any altered field or new check constraint).
"""

import django.contrib.postgres.indexes
from django.db import migrations


def _definition(sql: str, schema: str = "") -> str:
    """An index definition as pg_indexes shows it, without quotes or the schema's name."""
    sql = sql.replace('"', "")
    return sql.replace(f" ON {schema}.", " ON ") if schema else sql


def adopt_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name in ("searchdocument", "searchword"):
        model = apps.get_model("programmes", model_name)
        for index in model._meta.indexes:
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT schemaname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
                    [model._meta.db_table, index.name],
                )
                row = cursor.fetchone()
            expected = _definition(str(index.create_sql(model, schema_editor)))
            if row and _definition(row[1], row[0]) == expected:
                continue  # the same index: kept, not rebuilt
            if row:
                schema_editor.remove_index(model, index)
            schema_editor.add_index(model, index)


class Migration(migrations.Migration):
    dependencies = [("programmes", "0018_search_words_published_only")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterModelOptions(
                    name="searchdocument",
                    options={
                        "default_permissions": (),
                        "required_db_vendor": "postgresql",
                        "verbose_name": "search document",
                        "verbose_name_plural": "search documents",
                    },
                ),
                migrations.AlterModelOptions(
                    name="searchword",
                    options={
                        "default_permissions": (),
                        "required_db_vendor": "postgresql",
                        "verbose_name": "search word",
                        "verbose_name_plural": "search words",
                    },
                ),
                migrations.AddIndex(
                    model_name="searchdocument",
                    index=django.contrib.postgres.indexes.GinIndex(fields=["title"], name="searchdocument_title_gin"),
                ),
                migrations.AddIndex(
                    model_name="searchdocument",
                    index=django.contrib.postgres.indexes.GinIndex(fields=["short"], name="searchdocument_short_gin"),
                ),
                migrations.AddIndex(
                    model_name="searchdocument",
                    index=django.contrib.postgres.indexes.GinIndex(fields=["whole"], name="searchdocument_whole_gin"),
                ),
                migrations.AddIndex(
                    model_name="searchword",
                    index=django.contrib.postgres.indexes.GinIndex(
                        fields=["word"], name="searchword_trgm", opclasses=["gin_trgm_ops"]
                    ),
                ),
            ],
        ),
        migrations.RunPython(adopt_indexes, migrations.RunPython.noop),
    ]
