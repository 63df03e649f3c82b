"""Search over programmes: what people type, in Kazakh, Russian or English, found and ranked.

Two engines behind one function, ``search_programmes``:

- PostgreSQL (production): a stored, GIN-indexed ``tsvector`` per programme (``vector_sql``),
  titles weighted A, summaries and organisation names B, the rest C; Russian and English
  stemmed by PostgreSQL, Kazakh by prefix matching after a light suffix strip (PostgreSQL has no
  Kazakh stemmer); Latin spellings of Cyrillic words ("Даму" → "damu") matched too. When every
  word together finds nothing, any word will do (ranked by how much matches); when that finds
  nothing either, trigram similarity on titles and organisation names in Latin letters catches
  typos ("Tolkyn", "акселератр").
- SQLite (the embedded default): case-folded text columns matched with LIKE, the same light
  stemming and Latin spellings, ranked by how many words a title contains.

User input is parsed here, never handed to PostgreSQL's parser as is: quotes make a phrase,
``-word`` excludes, ``or`` (``или``, ``немесе``) offers alternatives.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.dispatch import receiver
from django.utils.safestring import SafeString, mark_safe
from modeltranslation.utils import get_translation_fields

from .transliteration import to_latin

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from .models import Programme

# Long queries are refused by the form (filters.py) and bounded here: a handful of words carries
# the meaning, and a bounded query stays cheap whatever is typed.
MAX_WORDS = 8
MAX_WORD_LENGTH = 40
MAX_QUERY_LENGTH = 200
# How alike a misspelt word and a title word must be (pg_trgm word similarity, 0 to 1).
TYPO_SIMILARITY = 0.4

_TOKEN = re.compile(r'"([^"]*)"|(-?)([\w][\w\'’-]*)')
_WORD = re.compile(r"\w+")
_OR_WORDS = {"or", "или", "немесе"}

TITLE_FIELDS = ("title",)
TEXT_FIELDS = ("title", "summary", "description")
ORGANISATION_FIELDS = ("name",)

# Suffixes stripped before prefix matching, longest first: Kazakh plural, case and possessive
# endings, and Russian case endings. A stem keeps at least four letters.
_SUFFIXES = sorted(
    {
        # Kazakh
        "лар", "лер", "дар", "дер", "тар", "тер", "ға", "ге", "қа", "ке", "на", "не", "ның", "нің",
        "дың", "дің", "тың", "тің", "ны", "ні", "ды", "ді", "ты", "ті", "да", "де", "та", "те",
        "нда", "нде", "дан", "ден", "тан", "тен", "нан", "нен", "мен", "бен", "пен", "ымыз", "іміз",
        "ың", "ің", "ы", "і", "сы", "сі", "ларға", "лерге", "дарға", "дерге", "тарға", "терге",
        "лары", "лері", "дары", "дері", "тары", "тері", "ларда", "лерде", "лардың", "лердің",
        # Russian
        "ами", "ями", "ов", "ев", "ей", "ам", "ям", "ах", "ях", "ом", "ем", "ой", "ый", "ий", "ая",
        "яя", "ое", "ее", "ые", "ие", "ых", "их", "ую", "юю", "а", "я", "о", "е", "у", "ю", "и",
    },
    key=len,
    reverse=True,
)  # fmt: skip
_CYRILLIC = re.compile("[а-яёәғқңөұүһі]")

# Purpose words: what people ask for, mapped to how programmes describe it.
SYNONYMS = {
    "деньги": ["грант", "финансирование", "инвестиции", "заём"],
    "money": ["grant", "funding", "investment", "loan"],
    "ақша": ["грант", "қаржыландыру", "инвестиция", "несие"],
    "фильм": ["кино"],
    "film": ["cinema"],
    "кредит": ["заём", "кредиты"],
    "студия": ["компания", "бизнес"],
    "studio": ["company", "business"],
    "учёба": ["обучение", "образование"],
    "study": ["education", "training"],
}


def normalise(text: str) -> str:
    """Fold text for matching: Unicode-normalised, case-folded, "ё" read as "е"."""
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def stem(word: str) -> str:
    """Strip Kazakh and Russian endings, for prefix matching ("музыканттарға" → "музыкант")."""
    if not _CYRILLIC.search(word):
        return word
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                changed = True
                break
    return word


def words(query: str) -> list[str]:
    """The distinct, normalised words of a user's query, in order, bounded in number and size."""
    seen: list[str] = []
    for match in _WORD.finditer(normalise(query[:MAX_QUERY_LENGTH])):
        word = match.group()[:MAX_WORD_LENGTH]
        if word not in seen and word not in _OR_WORDS:
            seen.append(word)
        if len(seen) == MAX_WORDS:
            break
    return seen


@dataclass
class ParsedQuery:
    """AND of ``groups`` (each an OR of terms; a term is a word or a quoted phrase), minus
    ``excluded``."""

    groups: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    def __bool__(self):
        return bool(self.groups)

    @property
    def terms(self) -> list[str]:
        return [term for group in self.groups for term in group]


def parse(query: str) -> ParsedQuery:
    """Quotes make a phrase, a leading minus excludes, "or" joins alternatives; never raises."""
    parsed = ParsedQuery()
    join_next = False
    count = 0
    for phrase, minus, word in _TOKEN.findall(normalise(query[:MAX_QUERY_LENGTH])):
        if phrase:
            term = " ".join(_WORD.findall(phrase))[: MAX_WORD_LENGTH * 3]
        else:
            term = word.strip("'’-")[:MAX_WORD_LENGTH]
        if not term:
            continue
        if not phrase and term in _OR_WORDS:
            join_next = bool(parsed.groups)
            continue
        if term in parsed.terms or term in parsed.excluded:
            continue
        if count == MAX_WORDS:
            break
        count += 1
        if minus:
            parsed.excluded.append(term)
        elif join_next:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        join_next = False
    return parsed


# --- The documents ---------------------------------------------------------------------------------


def _all_languages(obj, fields) -> list[str]:
    values = []
    for name in fields:
        for column in get_translation_fields(name):
            value = getattr(obj, column, None)
            if value and value not in values:
                values.append(value)
    return values


def document_for(programme: Programme) -> tuple[str, str, str]:
    """The (titles, full text, Latin titles and organisation) a programme is found by; the first
    two only where they are searched (SQLite)."""
    titles = _all_languages(programme, TITLE_FIELDS)
    texts = _all_languages(programme, TEXT_FIELDS)
    organisation = (
        _all_languages(programme.organisation, ORGANISATION_FIELDS) if programme.organisation_id else []
    )
    latin = to_latin(normalise("\n".join(titles + organisation)))
    if connection.vendor == "postgresql":
        # PostgreSQL searches its vectors; the folded copies serve SQLite's LIKE path only, and
        # on PostgreSQL they made every row a third wider (209 → 135 MB at 100,000 programmes),
        # which every search that reads many rows pays for.
        return "", "", latin
    text = normalise("\n".join(texts + organisation))
    return normalise("\n".join(titles)), text, latin


_STEMMED = {"ru": "russian", "en": "english", "kk": "simple"}
_NAMED_LINKS = (
    ("types", "programmetype", "programmetype_id"),
    ("sectors", "sector", "sector_id"),
    ("locations", "location", "location_id"),
)
# The term ids each programme is counted under, as arrays on its row (PostgreSQL only): facet
# counts then read one narrow row per matching programme instead of joining five link tables.
FACET_ARRAYS = {
    "facet_types": ("programmes_programme_types", "programmetype_id"),
    "facet_sectors": ("programmes_programme_sectors", "sector_id"),
    "facet_applicants": ("programmes_programme_applicant_kinds", "applicantkind_id"),
    "facet_sizes": ("programmes_programme_business_sizes", "businesssize_id"),
}


# Pairs (listed, counted): a programme listing place `listed` can be applied to from `counted`:
# the place itself, its region, and (for a region) its cities. The one definition of the city
# rule in SQL, for the facet arrays here and the location counts of models.counts_by_location.
PLACE_REACH = """
    SELECT id, id FROM programmes_location
    UNION ALL SELECT id, parent_id FROM programmes_location WHERE parent_id IS NOT NULL
    UNION ALL SELECT parent_id, id FROM programmes_location WHERE parent_id IS NOT NULL
"""


def vector_sql(only_ids: bool) -> str:
    """One statement that rebuilds the search documents (of the ids given as its one
    parameter, or all).

    Two vectors, so that the one read for every match stays small: ``search_vector`` holds the
    titles (A), their Latin spelling (A), summaries and organisation names (B), and is what
    results are ranked by; ``search_body`` holds the long texts and the names of the types,
    sectors and places (C) and is only ever read through its index. The same statement fills
    the facet arrays, and ``facet_places``: every location from which the programme can be
    applied to (the places listed, their regions, and the cities of listed regions). Built from
    constants only.
    """
    where = "WHERE x.programme_id = ANY(%(ids)s)" if only_ids else ""
    links = " UNION ALL ".join(
        f"SELECT x.programme_id, t.name_kk, t.name_ru, t.name_en FROM programmes_programme_{link} x "  # noqa: S608
        f"JOIN programmes_{table} t ON t.id = x.{column} {where}"
        for link, table, column in _NAMED_LINKS
    )
    head = " || ".join(
        [
            *(
                f"setweight(to_tsvector('{cfg}', coalesce(p.title_{lang}, '')), 'A')"
                for lang, cfg in _STEMMED.items()
            ),
            "setweight(to_tsvector('simple', p.search_latin), 'A')",
            *(
                f"setweight(to_tsvector('{cfg}', concat_ws(' ', p.summary_{lang}, o.name_{lang})), 'B')"
                for lang, cfg in _STEMMED.items()
            ),
        ]
    )
    body = " || ".join(
        f"setweight(to_tsvector('{cfg}', concat_ws(' ', p.description_{lang}, p.eligibility_{lang}, "
        f"p.how_to_apply_{lang}, n.names_{lang})), 'C')"
        for lang, cfg in _STEMMED.items()
    )
    arrays = ", ".join(
        f"{name} = ARRAY(SELECT x.{column} FROM {table} x WHERE x.programme_id = p.id ORDER BY 1)"  # noqa: S608
        for name, (table, column) in FACET_ARRAYS.items()
    )
    return f"""
        WITH n AS (
            SELECT l.programme_id AS id, string_agg(l.name_kk, ' ') AS names_kk,
                   string_agg(l.name_ru, ' ') AS names_ru, string_agg(l.name_en, ' ') AS names_en
            FROM ({links}) l
            GROUP BY l.programme_id
        ),
        reach(listed, counted) AS ({PLACE_REACH})
        UPDATE programmes_programme AS p SET
            search_vector = {head},
            search_body = {body},
            {arrays},
            facet_places = ARRAY(
                SELECT DISTINCT r.counted FROM programmes_programme_locations x
                JOIN reach r ON r.listed = x.location_id WHERE x.programme_id = p.id ORDER BY 1
            )
        FROM programmes_organisation AS o, programmes_programme AS q LEFT JOIN n ON n.id = q.id
        WHERE o.id = p.organisation_id AND q.id = p.id {"AND p.id = ANY(%(ids)s)" if only_ids else ""}
    """  # noqa: S608


_deferred: contextvars.ContextVar[set | None] = contextvars.ContextVar(
    "deferred_vector_updates", default=None
)


def update_vectors(ids: Iterable[int] | None) -> None:
    """Rebuild the full-text documents of these programmes (all when ``ids`` is None).

    Inside ``deferred_vector_updates()`` the ids are collected and rebuilt once at the end, so an
    import of thousands of rows runs one statement, not several per row.
    """
    if connection.vendor != "postgresql":
        return
    pending = _deferred.get()
    if pending is not None and ids is not None:
        pending.update(i for i in ids if i is not None)
        return
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(vector_sql(only_ids=False))
        else:
            ids = [i for i in ids if i is not None]
            if ids:
                cursor.execute(vector_sql(only_ids=True), {"ids": ids})


def rebuild_missing_documents(using: str = "default") -> int:
    """Build the documents of programmes that have none (after a migration emptied them)."""
    target = connections[using]
    if target.vendor != "postgresql":
        return 0
    with target.cursor() as cursor:
        cursor.execute("SELECT id FROM programmes_programme WHERE search_vector IS NULL")
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            cursor.execute(vector_sql(only_ids=True), {"ids": ids})
    return len(ids)


@contextlib.contextmanager
def deferred_vector_updates() -> Iterator[None]:
    token = _deferred.set(set())
    try:
        yield
        flush_deferred()
    finally:
        _deferred.reset(token)


def flush_deferred() -> None:
    """Rebuild the documents collected so far in ``deferred_vector_updates()``."""
    pending = _deferred.get()
    if pending:
        ids = sorted(pending)
        pending.clear()
        token = _deferred.set(None)
        try:
            update_vectors(ids)
        finally:
            _deferred.reset(token)


# --- Searching ----------------------------------------------------------------------------------


def expand(term: str) -> list[str]:
    """A word and what it may also be written as: stem, Latin spelling, purpose synonyms."""
    forms = [term]
    for form in (stem(term), to_latin(term), *SYNONYMS.get(term, [])):
        if form and form not in forms:
            forms.append(form)
    return forms


@dataclass
class SearchPlan:
    """How a query is matched, decided once per request and applied to every queryset that
    needs it (the results and each facet count)."""

    condition: Q
    relevance: object
    aliases: dict = field(default_factory=dict)

    def apply(self, queryset: QuerySet[Programme]) -> QuerySet[Programme]:
        return queryset.alias(**self.aliases).filter(self.condition).annotate(relevance=self.relevance)


def plan(queryset: QuerySet[Programme], query: str) -> SearchPlan | None:
    """Decide how to match ``query`` among ``queryset``: all words, any word, or (PostgreSQL)
    names spelt alike. None when the query has no words."""
    parsed = parse(query)
    if not parsed:
        return None
    if connection.vendor == "postgresql":
        return _postgres(queryset, parsed)
    return _sqlite(queryset, parsed)


def search_programmes(queryset: QuerySet[Programme], query: str) -> QuerySet[Programme]:
    """Programmes matching ``query``, annotated with ``relevance`` (higher is better).

    A query without words leaves the queryset as it is.
    """
    chosen = plan(queryset, query)
    return chosen.apply(queryset) if chosen else queryset


def _alternatives(term: str) -> list:
    """The tsqueries any of which matches ``term``: each language's stemming, Kazakh prefixes,
    the Latin spelling and purpose synonyms."""
    from django.contrib.postgres.search import SearchQuery

    if " " in term:  # a phrase
        return [SearchQuery(term, search_type="phrase", config=c) for c in ("russian", "english", "simple")]
    queries = [SearchQuery(term, config="russian"), SearchQuery(term, config="english")]
    for form in expand(term):
        lexeme = re.sub(r"[^\w]", "", form)
        if lexeme:
            # Only letters and digits reach to_tsquery, so no input can break its syntax; very
            # short words match whole, not as prefixes of everything.
            prefix = ":*" if len(lexeme) >= 3 else ""
            queries.append(SearchQuery(f"{lexeme}{prefix}", search_type="raw", config="simple"))
        if form != term:
            queries += [SearchQuery(form, config="russian"), SearchQuery(form, config="english")]
    return queries


def _tsquery(term: str):
    queries = _alternatives(term)
    combined = queries[0]
    for query in queries[1:]:
        combined |= query
    return combined


def _matches(tsquery) -> Q:
    """A programme whose short or long document matches ``tsquery`` (each through its index)."""
    return Q(search_vector=tsquery) | Q(search_body=tsquery)


def _group_query(group: list[str]):
    alternatives = None
    for term in group:
        alternatives = _tsquery(term) if alternatives is None else alternatives | _tsquery(term)
    return alternatives


def _postgres(queryset, parsed: ParsedQuery) -> SearchPlan:
    from django.contrib.postgres.search import SearchRank, TrigramWordSimilarity

    latin = to_latin(" ".join(parsed.terms))
    excluded = Q()
    for term in parsed.excluded:
        excluded |= _matches(_tsquery(term))
    groups = [_group_query(group) for group in parsed.groups]
    # Every word may be found in either document: (a in one or the other) and (b in one or the
    # other), not both words in the same one.
    every = Q()
    for group in groups:
        every &= _matches(group)
    anything = groups[0]
    for group in groups[1:]:
        anything |= group
    # Ranked by the short document only (its weights, A=1 and B=0.4, put a title match above a
    # summary match): it is a few hundred bytes, where reading the long one for each of
    # 30,000 matches of a common word cost most of the query (docs/benchmarks.md).
    relevance = SearchRank(F("search_vector"), anything)
    if queryset.filter(every & ~excluded).exists():
        return SearchPlan(every & ~excluded, relevance)
    if len(groups) > 1 and queryset.filter(_matches(anything) & ~excluded).exists():
        return SearchPlan(_matches(anything) & ~excluded, relevance)
    # Trigram similarity is only tried when no word matches: evaluated alongside the word match
    # it cost five times the query time (measured: 84 ms against 17 ms at 3,000 programmes).
    # The %> operator (threshold set per connection, see below) lets the trigram index find the
    # candidates; comparing a computed similarity instead scanned every row (26 s at 100,000).
    similarity = TrigramWordSimilarity(latin, "search_latin")
    return SearchPlan(Q(search_latin__trigram_word_similar=latin) & ~excluded, similarity)


@receiver(connection_created)
def _typo_threshold(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # pg_trgm's word-similarity threshold for %> (its default, 0.6, misses "Tolkyn").
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(TYPO_SIMILARITY)]
            )


def _contains_any(term: str) -> Q:
    condition = Q()
    for form in expand(term):
        condition |= Q(search_text__contains=form) | Q(search_latin__contains=to_latin(form))
    return condition


def _sqlite(queryset, parsed: ParsedQuery) -> SearchPlan:
    groups = [Q() for _ in parsed.groups]
    for i, group in enumerate(parsed.groups):
        for term in group:
            groups[i] |= _contains_any(term)
    excluded = Q()
    for term in parsed.excluded:
        excluded |= Q(search_text__contains=term)
    relevance = sum(
        (
            Case(
                When(search_title__contains=stem(term), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for term in parsed.terms
        ),
        start=Value(0),
    )
    every = Q()
    for condition in groups:
        every &= condition
    if len(groups) > 1 and not queryset.filter(every & ~excluded).exists():
        every = Q()
        for condition in groups:
            every |= condition
    return SearchPlan(every & ~excluded, relevance)


def order_by_relevance(queryset: QuerySet[Programme]) -> QuerySet[Programme]:
    """Most relevant first; among equals, open before upcoming before closed, then the soonest
    deadline. Without search words there is no relevance: the deadline order applies."""
    if "relevance" not in queryset.query.annotations:
        return queryset.ordered_by("deadline")
    return queryset.with_status().order_by(
        F("relevance").desc(nulls_last=True), "status", F("closes_on").asc(nulls_last=True), "title", "slug"
    )


# --- Highlighting ---------------------------------------------------------------------------------


def highlight(text: str, query: str) -> SafeString:
    """``text`` escaped, with the words that match ``query`` wrapped in <mark>.

    Done in Python on the few results shown, so that it works on both databases and no
    database output ever reaches the page unescaped.
    """
    escaped = html.escape(text or "")
    prefixes = sorted(
        {
            stem(form)
            for term in parse(query).terms
            for part in term.split()
            for form in expand(part)
            if len(form) > 1
        },
        key=len,
        reverse=True,
    )
    if not prefixes:
        return mark_safe(escaped)  # noqa: S308  (escaped above)
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(html.escape(p)) for p in prefixes) + r")\w*", re.IGNORECASE
    )
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))  # noqa: S308
