"""PostgreSQL's full-text documents and spelling vocabulary (search.py builds and reads them)."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from .programmes import Programme


class SearchDocument(models.Model):
    """A programme's full-text documents on PostgreSQL, rebuilt by ``search.documents.vector_sql`` (the
    table stays empty on SQLite, which searches the folded text columns instead).

    A table of its own with the vectors stored out of line, so that its rows are about 100 bytes:
    finding the 30,000 programmes that contain a common word then reads the GIN indexes and a few
    hundred small pages, not 100,000 wide programme rows (docs/benchmarks.md). One vector per
    relevance tier (search.query.TIERS): the titles and their Latin spelling; the summaries and the
    organisation's names; the whole, which is those two with the long texts and the names of the
    types, sectors and places (one scan says whether a word is anywhere).
    """

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, primary_key=True, related_name="document", editable=False
    )
    title = SearchVectorField(null=True, editable=False)
    short = SearchVectorField(null=True, editable=False)
    whole = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        default_permissions = ()
        # On SQLite the table exists and stays empty, and Django migrates nothing of it: no GIN
        # index there, not even when a migration rebuilds the table (migration 0019).
        required_db_vendor = "postgresql"
        indexes = [
            GinIndex(fields=["title"], name="searchdocument_title_gin"),
            GinIndex(fields=["short"], name="searchdocument_short_gin"),
            GinIndex(fields=["whole"], name="searchdocument_whole_gin"),
        ]

    def __str__(self):
        return str(self.programme_id)


class SearchWord(models.Model):
    """A word of the programmes' titles and organisation names, in Latin letters (PostgreSQL
    only, like SearchDocument): the vocabulary that a misspelt word is corrected against
    (search.postgres.spelt_alike), through a trigram index. A small table, so finding "tolqyn" for
    "Tolkyn" takes milliseconds, where comparing the query with the titles of 100,000
    programmes took seconds. Words of published programmes are added as their documents are
    built (a draft's never: the correction is printed on the page) and not removed; a word no
    published programme has any more is never offered as a correction."""

    word = models.TextField(primary_key=True)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")
        default_permissions = ()
        required_db_vendor = "postgresql"  # as SearchDocument's
        # pg_trgm's, for the similarity operator (%) of search.spelt_alike.
        indexes = [GinIndex(fields=["word"], opclasses=["gin_trgm_ops"], name="searchword_trgm")]

    def __str__(self):
        return self.word
