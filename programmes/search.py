"""Word search over programmes, the same on every database.

Each programme keeps case-folded copies of its texts in all three languages
(``search_title``, ``search_text``), so that "КИНО", "кино" and "Кино" match alike on SQLite,
whose LIKE folds only ASCII letters. Every word of the query must occur somewhere (AND);
a programme ranks higher the more query words its titles contain.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from django.db.models import Case, F, IntegerField, Q, Value, When
from modeltranslation.utils import get_translation_fields

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from .models import Programme

# Long queries are cut rather than refused: the first words carry the meaning, and a bounded
# number of LIKE conditions keeps a hostile 5,000-character query cheap.
MAX_WORDS = 8
MAX_WORD_LENGTH = 40
MAX_QUERY_LENGTH = 200

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")

TITLE_FIELDS = ("title",)
TEXT_FIELDS = ("title", "summary", "description")
ORGANISATION_FIELDS = ("name",)


def normalise(text: str) -> str:
    """Fold text for matching: Unicode-normalised, case-folded, "ё" read as "е"."""
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def words(query: str) -> list[str]:
    """The distinct, normalised words of a user's query, in order, bounded in number and size."""
    seen: list[str] = []
    for match in _WORD.finditer(normalise(query[:MAX_QUERY_LENGTH])):
        word = match.group()[:MAX_WORD_LENGTH]
        if word not in seen:
            seen.append(word)
        if len(seen) == MAX_WORDS:
            break
    return seen


def _all_languages(obj, fields) -> list[str]:
    values = []
    for field in fields:
        for name in get_translation_fields(field):
            value = getattr(obj, name, None)
            if value and value not in values:
                values.append(value)
    return values


def document_for(programme: Programme) -> tuple[str, str]:
    """The (titles, full text) a programme is found by, normalised, in every language."""
    titles = _all_languages(programme, TITLE_FIELDS)
    texts = _all_languages(programme, TEXT_FIELDS)
    if programme.organisation_id:
        texts += _all_languages(programme.organisation, ORGANISATION_FIELDS)
    return normalise("\n".join(titles)), normalise("\n".join(texts))


def filter_by_words(queryset: QuerySet[Programme], query: str) -> QuerySet[Programme]:
    """Programmes containing every word of ``query``, annotated with ``relevance``.

    ``relevance`` counts the query words found in a title, so title matches rank above
    matches in the description alone. A query without words leaves the queryset as it is.
    """
    terms = words(query)
    if not terms:
        return queryset
    condition = Q()
    for term in terms:
        condition &= Q(search_text__contains=term)
    relevance = sum(
        (
            Case(
                When(search_title__contains=term, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for term in terms
        ),
        start=Value(0),
    )
    return queryset.filter(condition).annotate(relevance=relevance)


def order_by_relevance(queryset: QuerySet[Programme]) -> QuerySet[Programme]:
    """Most relevant first; among equals, open before upcoming before closed, then the soonest
    deadline. Without search words there is no relevance: the deadline order applies."""
    if "relevance" not in queryset.query.annotations:
        return queryset.ordered_by("deadline")
    return queryset.with_status().order_by(
        "-relevance", "status", F("closes_on").asc(nulls_last=True), "title", "slug"
    )
