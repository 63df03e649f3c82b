"""PostgreSQL's search machinery: pg_trgm, the GIN indexes, and the documents of existing rows.

Runs only on PostgreSQL, so that SQLite (the embedded default) still migrates; there the
search uses the plain text columns instead.
"""

import unicodedata

from django.db import migrations

INDEXES = [
    "CREATE INDEX IF NOT EXISTS programme_search_vector_gin ON programmes_programme USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS programme_search_latin_trgm ON programmes_programme "
    "USING gin (search_latin gin_trgm_ops)",
]

_LATIN = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "і": "i", "к": "k", "қ": "q", "л": "l", "м": "m",
    "н": "n", "ң": "ng", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip  (a frozen copy of programmes.transliteration at the time of this migration)


def _latin(text):
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return folded.translate(str.maketrans(_LATIN))


def fill_latin(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    for programme in Programme.objects.select_related("organisation").iterator():
        parts = []
        for obj, name in ((programme, "title"), (programme.organisation, "name")):
            for language in ("kk", "ru", "en"):
                value = getattr(obj, f"{name}_{language}", None)
                if value and value not in parts:
                    parts.append(value)
        programme.search_latin = _latin("\n".join(parts))
        programme.save(update_fields=["search_latin"])


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in INDEXES:
        schema_editor.execute(sql)
    # The documents themselves are built after the last migration (programmes.signals), from
    # the columns the code of that time expects, not the columns of this migration's time.


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS programme_search_vector_gin")
    schema_editor.execute("DROP INDEX IF EXISTS programme_search_latin_trgm")


class Migration(migrations.Migration):
    dependencies = [("programmes", "0005_search_columns")]

    operations = [
        migrations.RunPython(fill_latin, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
