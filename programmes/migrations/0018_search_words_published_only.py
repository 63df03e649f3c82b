"""The typo vocabulary keeps only words of published programmes.

Its "Showing results for …" line prints the correction, so a word from a draft's title there
revealed an unannounced programme to anyone who guessed its start. From now on only published
programmes add words (search._rebuild); this removes the words no published programme has.
Nothing to reverse: the words are rebuilt as programmes are published.
"""

from django.db import migrations

PURGE = """
DELETE FROM programmes_searchword
WHERE word NOT IN (
    SELECT DISTINCT w FROM programmes_programme p,
    unnest(tsvector_to_array(to_tsvector('simple', p.search_latin))) w
    WHERE p.state = 'published'
)
"""


def purge(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # the vocabulary is PostgreSQL's only
        schema_editor.execute(PURGE)


class Migration(migrations.Migration):
    dependencies = [("programmes", "0017_open_data_files")]

    operations = [migrations.RunPython(purge, migrations.RunPython.noop, elidable=True)]
