"""Search over programmes: what people type, in Kazakh, Russian or English, found and ranked.

Two ways in, the same rules: ``match`` gives the search page (index.py) the programmes a query
finds and their relevance; ``plan`` / ``search_programmes`` apply the same query to a queryset
(alerts, feeds). Two engines behind both:

- PostgreSQL (production): GIN-indexed ``tsvector`` documents per programme in their own table
  (``vector_sql``), one per relevance tier (TIERS: titles; summaries and organisation names; the
  whole programme); Russian and English stemmed by PostgreSQL, Kazakh by prefix matching after a light
  suffix strip (PostgreSQL has no Kazakh stemmer); Latin spellings of Cyrillic words ("Даму" →
  "damu") matched too. When every word together finds nothing, any word will do (ranked by how
  much matches); when that finds nothing either, each word is corrected against the vocabulary
  of titles and organisation names (``spelt_alike``: "Tolkyn", "акселератр").
- SQLite (the embedded default): case-folded text columns matched with LIKE, and the names of
  a programme's types, sectors and places matched in Python (``_named``); the same parsing,
  stemming, Latin spellings, exclusions and steps (all words; else any word; else words spelt
  alike, against a vocabulary held per directory version: ``_Vocabulary``), ranked by how many
  words a title contains.

Both say which step found the results (``Match.step``, ``Match.corrected``), so the search page
can tell a visitor that it showed only some of her words, or other spellings.

User input is parsed here, never handed to PostgreSQL's parser as is: quotes make a phrase,
``-word`` excludes, ``or`` (``или``, ``немесе``) offers alternatives.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.db.models import Case, ExpressionWrapper, F, FloatField, Q, Value, When
from django.dispatch import receiver
from django.utils.safestring import SafeString, mark_safe
from modeltranslation.utils import get_translation_fields

from . import versioning
from .choices import PublicationState
from .transliteration import to_latin

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from .models import Programme

# Long queries are refused by the form (filters.py) and bounded here: a handful of words carries
# the meaning, and a bounded query stays cheap whatever is typed.
MAX_WORDS = 8
MAX_WORD_LENGTH = 40
MAX_QUERY_LENGTH = 200
# How alike a misspelt word and a title word must be (pg_trgm similarity, 0 to 1), and how
# many of the closest title words a misspelt word may stand for.
TYPO_SIMILARITY = 0.4
TYPO_CORRECTIONS = 5
# Letters that Latin spellings of Kazakh names write either way ("Tolqyn", "Tolkyn", "Tolkin"):
# words are also compared with these read as one, on both databases (the SQL in spelt_alike
# says the same with translate()).
_SPELLING_VARIANTS = ("qy", "ki")
_FOLD = str.maketrans(*_SPELLING_VARIANTS)

# The steps a search takes (Match.step, SearchPlan.step): every word group found together; else
# any of them (more than one group); else words spelt alike (spelt_alike).
ALL_WORDS, ANY_WORD, SPELT_ALIKE = "all", "any", "alike"

_TOKEN = re.compile(r'"([^"]*)"|(-?)([\w][\w\'’-]*)')
_WORD = re.compile(r"\w+")
_OR_WORDS = {"or", "или", "немесе"}
# Short function words that carry no meaning of their own in a search: "деньги на фильм" asks
# for money and film, not for every programme whose Kazakh text contains "на". Dropped unless
# the query has nothing else (or quotes them into a phrase).
STOP_WORDS = {
    "на", "в", "во", "и", "для", "по", "с", "со", "к", "о", "об", "от", "до", "из", "за", "у",
    "a", "an", "the", "for", "of", "in", "on", "to", "and", "with", "at", "by",
    "үшін", "мен", "және", "бен", "пен",
}  # fmt: skip

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
    meaningful = [group for group in parsed.groups if not all(term in STOP_WORDS for term in group)]
    if meaningful:
        parsed.groups = meaningful
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
# The links whose term names are searched, and a result card shows: (relation, term table,
# term column); the link table is programmes_programme_<relation>.
NAMED_LINKS = (
    ("types", "programmetype", "programmetype_id"),
    ("sectors", "sector", "sector_id"),
    ("locations", "location", "location_id"),
)
# The links a programme is counted under, per facet: (link table, term column).
TERM_LINKS = {
    "type": ("programmes_programme_types", "programmetype_id"),
    "sector": ("programmes_programme_sectors", "sector_id"),
    "applicant": ("programmes_programme_applicant_kinds", "applicantkind_id"),
    "business_size": ("programmes_programme_business_sizes", "businesssize_id"),
}
# The relevance tiers: where a word is found, and what finding it there is worth. A title match
# outranks a summary or organisation match, which outranks a match only in the long texts; a
# programme's relevance is the sum over the query's words of the best tier each is found in.
# The last document is the whole programme (it holds the other two).
TIERS = (("title", 1.0), ("short", 0.4), ("whole", 0.1))


# Pairs (listed, counted): a programme listing place `listed` can be applied to from `counted`:
# the place itself, its region, and (for a region) its cities. The city rule in SQL, for the
# search index's places (index.py); ProgrammeQuerySet.available_in states it as a queryset.
PLACE_REACH = """
    SELECT id, id FROM programmes_location
    UNION ALL SELECT id, parent_id FROM programmes_location WHERE parent_id IS NOT NULL
    UNION ALL SELECT parent_id, id FROM programmes_location WHERE parent_id IS NOT NULL
"""


def vector_sql(only_ids: bool) -> str:
    """One statement that rebuilds the search documents (models.SearchDocument) of the
    programme ids given as its one parameter, or of all.

    Three vectors, one per tier (TIERS): ``title`` holds the titles and their Latin spelling,
    ``short`` the summaries and the organisation's names, ``whole`` those two and the long texts
    and the names of the types, sectors and places, so that one scan of its index tells whether
    a programme has a word anywhere. Russian and English stemmed, Kazakh with ``simple`` (found
    by prefix). Built from constants only.

    Concatenated vectors number their words on, so a quoted phrase can span the end of one part
    and the start of the next (a title's last word and the summary's first), as it could before
    between the languages of a title; such a match is worth the least (the whole document's).
    """
    where = "WHERE x.programme_id = ANY(%(ids)s)" if only_ids else ""
    links = " UNION ALL ".join(
        f"SELECT x.programme_id, t.name_kk, t.name_ru, t.name_en FROM programmes_programme_{link} x "  # noqa: S608
        f"JOIN programmes_{table} t ON t.id = x.{column} {where}"
        for link, table, column in NAMED_LINKS
    )
    title = " || ".join(
        [
            *(f"to_tsvector('{cfg}', coalesce(p.title_{lang}, ''))" for lang, cfg in _STEMMED.items()),
            "to_tsvector('simple', p.search_latin)",
        ]
    )
    short = " || ".join(
        f"to_tsvector('{cfg}', concat_ws(' ', p.summary_{lang}, o.name_{lang}))"
        for lang, cfg in _STEMMED.items()
    )
    body = " || ".join(
        f"to_tsvector('{cfg}', concat_ws(' ', p.description_{lang}, p.eligibility_{lang}, "
        f"p.how_to_apply_{lang}, n.names_{lang}))"
        for lang, cfg in _STEMMED.items()
    )
    return f"""
        WITH n AS (
            SELECT l.programme_id AS id, string_agg(l.name_kk, ' ') AS names_kk,
                   string_agg(l.name_ru, ' ') AS names_ru, string_agg(l.name_en, ' ') AS names_en
            FROM ({links}) l
            GROUP BY l.programme_id
        )
        INSERT INTO programmes_searchdocument (programme_id, title, short, whole)
        SELECT p.id, v.title, v.short, v.title || v.short || v.body
        FROM programmes_programme p
        JOIN programmes_organisation o ON o.id = p.organisation_id
        LEFT JOIN n ON n.id = p.id
        CROSS JOIN LATERAL (SELECT {title} AS title, {short} AS short, {body} AS body) v
        {"WHERE p.id = ANY(%(ids)s)" if only_ids else ""}
        ON CONFLICT (programme_id) DO UPDATE
        SET title = EXCLUDED.title, short = EXCLUDED.short, whole = EXCLUDED.whole
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
            _rebuild(cursor, None)
        else:
            ids = [i for i in ids if i is not None]
            if ids:
                _rebuild(cursor, ids)


def _rebuild(cursor, ids: list[int] | None) -> None:
    only_ids = ids is not None
    cursor.execute(vector_sql(only_ids), {"ids": ids} if only_ids else None)
    # The title words of published programmes join the vocabulary typos are corrected against
    # (spelt_alike). Only published ones: the "Showing results for …" line prints the correction,
    # so a draft's words there would reveal an unannounced title to anyone guessing its start.
    cursor.execute(
        "INSERT INTO programmes_searchword (word) SELECT DISTINCT w FROM programmes_programme p, "  # noqa: S608
        "unnest(tsvector_to_array(to_tsvector('simple', p.search_latin))) w "
        # Numbers are left out: there is nothing to correct in them.
        + "WHERE w !~ '[0-9]' AND p.state = %(published)s "
        + ("AND p.id = ANY(%(ids)s) " if only_ids else "")
        + "ON CONFLICT DO NOTHING",
        {"ids": ids, "published": PublicationState.PUBLISHED},
    )


def rebuild_missing_documents(using: str = "default") -> int:
    """Build the documents of programmes that have none (after a migration emptied them)."""
    target = connections[using]
    if target.vendor != "postgresql":
        return 0
    with target.cursor() as cursor:
        introspection = target.introspection
        if "programmes_searchdocument" not in introspection.table_names(cursor) or "whole" not in {
            column.name for column in introspection.get_table_description(cursor, "programmes_searchdocument")
        }:
            # Migrated back to before the documents had this shape: that schema's code builds them.
            return 0
        cursor.execute(
            "SELECT p.id FROM programmes_programme p WHERE NOT EXISTS "
            "(SELECT FROM programmes_searchdocument d WHERE d.programme_id = p.id)"
        )
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            _rebuild(cursor, ids)  # the triggers advance the directory version
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
    step: str = ALL_WORDS
    # The query as it was read in the SPELT_ALIKE step ("tolqyn" for "Tolkyn"), else None.
    corrected: str | None = None

    def apply(self, queryset: QuerySet[Programme]) -> QuerySet[Programme]:
        return queryset.alias(**self.aliases).filter(self.condition).annotate(relevance=self.relevance)


def plan(queryset: QuerySet[Programme], query: str) -> SearchPlan | None:
    """Decide how to match ``query`` among ``queryset``: all words, any word, or names spelt
    alike (``SearchPlan.step``). None when the query has no words."""
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


def _group_queries(groups: list[list[str]]) -> list[str]:
    """For each group of terms, the tsquery, as text, that matches any of them: each language's
    stemming, Kazakh prefixes, the Latin spelling and purpose synonyms ("деньги" → 'деньг':*,
    'грант':*, 'инвестиц', …); "" for a group with nothing to look for.

    PostgreSQL parses the alternatives (to_tsquery and its kin; once per process, in one
    statement per search: stemming does not change), and those another one covers are left out
    (the stem 'деньг' and the prefix 'деньги':* under the prefix 'деньг':*). A GIN scan tests
    every row it reads against every alternative: "деньги" written out with its 21 alternatives
    cost twice the time of the 9 that remain (docs/benchmarks.md).
    """
    wanted = [_alternatives(group) for group in groups]
    parsed = iter(_parsed([item for items in wanted for item in items]))
    return [_written([next(parsed) for _item in items]) for items in wanted]


def _alternatives(group: list[str]) -> list[tuple[str, str, str]]:
    """What to ask PostgreSQL to parse for a group: (function, configuration, text)."""
    wanted = []
    for term in group:
        if " " in term:  # a phrase
            wanted += [("phraseto_tsquery", config, term) for config in ("russian", "english", "simple")]
            continue
        for form in expand(term):
            wanted += [("plainto_tsquery", "russian", form), ("plainto_tsquery", "english", form)]
            lexeme = re.sub(r"[^\w]", "", form)
            if lexeme:
                # Only letters, digits and "_" (which the parser drops) reach to_tsquery, so no
                # input can break its syntax; very short words match whole, not as prefixes of
                # everything.
                wanted.append(("to_tsquery", "simple", f"{lexeme}:*" if len(lexeme) >= 3 else lexeme))
    return wanted


def _written(texts: list[str]) -> str:
    """Parsed alternatives as one tsquery (text), without those another one covers."""
    exact, prefixes, compound = set(), set(), []
    for text in texts:
        single = _LEXEME.fullmatch(text)
        if single:
            (prefixes if single["prefix"] else exact).add(single["lexeme"])
        elif text and f"( {text} )" not in compound:
            compound.append(f"( {text} )")
    prefixes = {p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)}
    exact = {e for e in exact if not any(e.startswith(p) for p in prefixes)}
    return " | ".join(
        [*(f"'{p}':*" for p in sorted(prefixes)), *(f"'{e}'" for e in sorted(exact)), *compound]
    )


# One lexeme as PostgreSQL writes a tsquery (quotes and backslashes within doubled), with or
# without a prefix mark.
_LEXEME = re.compile(r"'(?P<lexeme>(?:[^'\\]|''|\\\\)*)'(?P<prefix>:\*)?")
# Per process, without the directory version: parsing depends on PostgreSQL's dictionaries alone.
_parsed_texts: dict = {}


def _parsed(wanted: list[tuple[str, str, str]]) -> list[str]:
    """Each (function, configuration, text) as the tsquery text PostgreSQL makes of it; what
    this process has not parsed yet in one statement. Only constant function and configuration
    names reach the SQL; the texts are parameters."""
    keys = [(connection.alias, *item) for item in wanted]
    # get(), not "in" then [], as another thread may empty the dictionary in between.
    found = {key: text for key in keys if (text := _parsed_texts.get(key)) is not None}
    missing = [key for key in dict.fromkeys(keys) if key not in found]
    if missing:
        columns = ", ".join(f"{function}(%s::regconfig, %s)::text" for _alias, function, _c, _t in missing)
        with connection.cursor() as cursor:
            params = [p for _alias, _function, config, text in missing for p in (config, text)]
            cursor.execute(f"SELECT {columns}", params)
            found.update(zip(missing, cursor.fetchone(), strict=True))
        if len(_parsed_texts) > 50_000:  # bounded: what people type has no end
            _parsed_texts.clear()
        _parsed_texts.update((key, found[key]) for key in missing)
    return [found[key] for key in keys]


class _TsQuery(SearchQuery):
    """A tsquery already in PostgreSQL's own text form (``_group_queries``), read as it is: a
    SearchQuery, so that the ``document__<tier>=`` lookups take it without parsing it again."""

    template = "(%(expressions)s)::tsquery"


def _matches(text: str) -> Q:
    """A programme with the tsquery ``text`` anywhere: in its whole document (GIN-indexed)."""
    return Q(document__whole=_TsQuery(text))


def _tier_relevance(groups) -> object:
    """TIERS as an SQL expression: per word group, the worth of the best document it is in."""
    total = Value(0.0)
    for group in groups:
        best = Case(
            *(When(Q(**{f"document__{tier}": _TsQuery(group)}), then=Value(worth)) for tier, worth in TIERS),
            default=Value(0.0),
            output_field=FloatField(),
        )
        total = total + best
    return ExpressionWrapper(total, output_field=FloatField())


def _postgres(queryset, parsed: ParsedQuery) -> SearchPlan:
    *groups, unwanted = _group_queries([*parsed.groups, parsed.excluded])
    excluded = _matches(unwanted) if parsed.excluded else Q(pk__in=[])
    # Every word may be found in any document: (a in one of them) and (b in one of them).
    every = Q()
    for group in groups:
        every &= _matches(group)
    anything = Q()
    for group in groups:
        anything |= _matches(group)
    relevance = _tier_relevance(groups)
    if queryset.filter(every & ~excluded).exists():
        return SearchPlan(every & ~excluded, relevance)
    if len(groups) > 1 and queryset.filter(anything & ~excluded).exists():
        return SearchPlan(anything & ~excluded, relevance, step=ANY_WORD)
    # No word matches: each word's spellings alike (spelt_alike) in titles and organisation
    # names; relevance is, per word, the similarity of the closest spelling a programme has.
    alike = Q(pk__in=[])
    relevance = Value(0.0)
    corrections = spelt_alike(parsed.terms)
    for corrections_of_word in corrections:
        in_title = [(Q(document__title=_TsQuery(_spelling(word))), sim) for word, sim in corrections_of_word]
        for condition, _similarity in in_title:
            alike |= condition
        closest = Case(
            *(When(condition, then=Value(sim)) for condition, sim in in_title),
            default=Value(0.0),
            output_field=FloatField(),
        )
        relevance = relevance + closest
    return SearchPlan(
        alike & ~excluded,
        ExpressionWrapper(relevance, output_field=FloatField()),
        step=SPELT_ALIKE,
        corrected=corrected_query(parsed.terms, corrections),
    )


def _spelling(word: str) -> str:
    """A word of the vocabulary (a lexeme of the titles, as PostgreSQL made it) as a tsquery."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _typo_words(terms: list[str]) -> list[str]:
    """The words of ``terms`` in Latin letters, as they are compared with the vocabulary."""
    return [to_latin(word) for term in terms for word in _WORD.findall(normalise(term))][:MAX_WORDS]


def fold_spelling(word: str) -> str:
    """A Latin word with the letters its spellings vary in read as one: "tolqyn" → "tolkin"."""
    return word.translate(_FOLD)


def spelt_alike(terms: list[str]) -> list[list[tuple[str, float]]]:
    """For each word of ``terms`` (in Latin letters: "Толкын" is compared as "tolkyn"), the words
    of titles and organisation names spelt most like it, with their similarity, closest first:
    "tolkyn" → [("tolqyn", 1.0)].

    Similarity is pg_trgm's (shared trigrams over all trigrams), of the words as they are or
    with q/k and y/i read as one (``fold_spelling``), whichever is higher. PostgreSQL asks its
    vocabulary table (models.SearchWord, trigram-indexed), instead of comparing the query with
    every programme's titles, which took seconds at 100,000 programmes; SQLite a vocabulary
    held in the process per directory version (``_Vocabulary``).
    """
    latin = _typo_words(terms)
    if not latin:
        return []
    if connection.vendor != "postgresql":
        return [_vocabulary().alike(word) for word in latin]
    with connection.cursor() as cursor:
        # The folded comparison has no index of its own: the vocabulary is a few thousand words
        # (migration 0012), read in a few milliseconds, and only when nothing else matched.
        cursor.execute(
            """
            SELECT q.n, w.word, w.similarity
            FROM unnest(%(words)s::text[], %(folded)s::text[]) WITH ORDINALITY AS q(word, folded, n)
            CROSS JOIN LATERAL (
                SELECT a.word, a.similarity FROM (
                    SELECT s.word, greatest(
                        similarity(s.word, q.word),
                        similarity(translate(s.word, %(from)s, %(to)s), q.folded)
                    ) AS similarity
                    FROM programmes_searchword s
                    WHERE s.word %% q.word OR translate(s.word, %(from)s, %(to)s) %% q.folded
                ) a
                WHERE a.similarity >= %(threshold)s
                  -- Only a word some published programme has: the vocabulary keeps the words
                  -- of programmes since withdrawn or renamed, and the page prints the correction.
                  AND EXISTS (
                      SELECT FROM programmes_searchdocument d
                      JOIN programmes_programme p ON p.id = d.programme_id
                      WHERE d.whole @@ quote_literal(a.word)::tsquery AND p.state = %(published)s
                  )
                ORDER BY 2 DESC, 1 LIMIT %(limit)s
            ) w
            ORDER BY q.n, w.similarity DESC, w.word
            """,
            {
                "words": latin,
                "folded": [fold_spelling(word) for word in latin],
                "from": _SPELLING_VARIANTS[0],
                "to": _SPELLING_VARIANTS[1],
                "threshold": TYPO_SIMILARITY,
                "limit": TYPO_CORRECTIONS,
                "published": PublicationState.PUBLISHED,
            },
        )
        rows = cursor.fetchall()
    found: list[list[tuple[str, float]]] = [[] for _ in latin]
    for number, word, similarity in rows:
        found[number - 1].append((word, float(similarity)))
    return found


def corrected_query(terms: list[str], corrections: list[list[tuple[str, float]]]) -> str | None:
    """The query as the SPELT_ALIKE step read it, each word replaced by its closest spelling
    ("Tolkyn grant" → "tolqyn grant"); None when no word had one."""
    if not any(corrections):
        return None
    return " ".join(
        alike[0][0] if alike else word for word, alike in zip(_typo_words(terms), corrections, strict=True)
    )


def trigrams(word: str) -> set[str]:
    """A word's trigrams as pg_trgm makes them: two spaces before the word, one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class _Vocabulary:
    """The words of the published programmes' titles and organisation names in Latin letters,
    with an index from each trigram to the words that have it (SQLite's SearchWord): a
    misspelt word is compared with the words it shares a trigram with, not with every word.
    Built once per directory version (``_vocabulary``)."""

    def __init__(self, words: Iterable[str]):
        self.words = sorted(set(words))
        self._sizes: dict[str, list[int]] = {}
        self._postings: dict[str, dict[str, list[int]]] = {}
        for spelling, fold in (("raw", str), ("folded", fold_spelling)):
            sizes, postings = [], {}
            for number, word in enumerate(self.words):
                grams = trigrams(fold(word))
                sizes.append(len(grams))
                for gram in grams:
                    postings.setdefault(gram, []).append(number)
            self._sizes[spelling], self._postings[spelling] = sizes, postings

    def alike(self, word: str) -> list[tuple[str, float]]:
        """The words spelt most like ``word`` (as spelt_alike on PostgreSQL), closest first."""
        best: dict[int, float] = {}
        for spelling, fold in (("raw", str), ("folded", fold_spelling)):
            grams = trigrams(fold(word))
            shared: dict[int, int] = {}
            for gram in grams:
                for number in self._postings[spelling].get(gram, ()):
                    shared[number] = shared.get(number, 0) + 1
            sizes = self._sizes[spelling]
            for number, count in shared.items():
                similarity = count / (len(grams) + sizes[number] - count)
                if similarity > best.get(number, 0.0):
                    best[number] = similarity
        alike = [(self.words[n], s) for n, s in best.items() if s >= TYPO_SIMILARITY]
        return sorted(alike, key=lambda ws: (-ws[1], ws[0]))[:TYPO_CORRECTIONS]


_vocabularies: dict = {}


def _vocabulary() -> _Vocabulary:
    """The typo vocabulary of SQLite, for this directory version (built on first use after a
    change: one read of the published programmes' Latin titles, ~10,000 rows)."""
    from .models import Programme

    version = versioning.current()
    key = (connection.alias, version.key)
    vocabulary = _vocabularies.get(key) if version.cacheable else None
    if vocabulary is None:
        texts = Programme.objects.published().order_by().values_list("search_latin", flat=True)
        words: set[str] = set()
        for text in texts.iterator(chunk_size=2000):
            words.update(_WORD.findall(text))
        # Numbers are left out, as on PostgreSQL: there is nothing to correct in them.
        vocabulary = _Vocabulary(word for word in words if not _DIGIT.search(word))
        if version.cacheable:
            _vocabularies.clear()  # the other versions' are of no use any more
            _vocabularies[key] = vocabulary
    return vocabulary


_DIGIT = re.compile("[0-9]")


# --- Matching for the search page (index.py) ----------------------------------------------------


class Match:
    """What a query finds among the programmes of an index (index.py): a mask over its
    positions, and each position's relevance (higher is better).

    The relevance of a common word is the dearest part of a search (its title and summary
    documents hold tens of thousands of ids), and most pages do not need all of it: ``best``,
    when known, marks the programmes with every word group in their titles, which have the
    highest relevance there is, so a page among them is ordered without ranking the rest
    (index.Ordered). ``relevance`` is computed on first use.
    """

    def __init__(
        self,
        found: np.ndarray,
        relevance=None,
        *,
        best: np.ndarray | None = None,
        rank=None,
        step: str = ALL_WORDS,
        corrected: str | None = None,
    ):
        self.found = found
        self.best = best
        self._relevance = relevance
        self._rank = rank
        # Which step found ``found`` (ALL_WORDS, ANY_WORD, SPELT_ALIKE), and the query as the
        # SPELT_ALIKE step read it: what the search page tells the visitor.
        self.step = step
        self.corrected = corrected if step == SPELT_ALIKE else None

    @property
    def is_partial(self) -> bool:
        """Whether no programme had every word, and those with some of them were found."""
        return self.step == ANY_WORD

    @property
    def relevance(self) -> np.ndarray:
        if self._relevance is None:
            self._relevance = self._rank()
        return self._relevance


def match(query: str, index, ranked: bool = True) -> Match | None:
    """The programmes of ``index`` (index.ProgrammeIndex) matching ``query``, with their
    relevance; None when the query has no words. ``ranked``: whether the results are sorted by
    relevance (otherwise the titles need not be read).

    The rules of ``plan`` (all words; else any word; else words spelt alike), decided on masks
    instead of with extra queries. On PostgreSQL one statement reads, through the GIN indexes,
    the ids whose whole document has every word group (what is found and counted), those whose
    title has them all (the best ranked), and those with an excluded word; the other tiers are
    read only when a page needs the full ranking, or when every word together finds nothing.
    Relevance is the TIERS sum, as ``plan`` computes it in SQL. SQLite runs ``plan``'s query.
    The Match says which step found the programmes (``Match.step``, ``Match.corrected``).
    """
    parsed = parse(query)
    if not parsed:
        return None
    size = index.size
    if connection.vendor != "postgresql":
        from .models import Programme

        published = Programme.objects.published()
        chosen = _sqlite(published, parsed)
        rows = list(chosen.apply(published).values_list("pk", "relevance"))
        positions, found = index.positions_of(np.array([pk for pk, _r in rows], dtype=np.int64))
        relevance = np.zeros(size)
        relevance[positions] = np.array([r or 0 for _pk, r in rows], dtype=float)[found]
        return Match(_mask(size, positions), relevance, step=chosen.step, corrected=chosen.corrected)
    *groups, excluded = _group_queries([*parsed.groups, parsed.excluded])
    together = groups[0] if len(groups) == 1 else " & ".join(f"( {group} )" for group in groups)
    # One version for the whole search (versioning.py): its reads are filed under it, and the
    # ranking, read later, must not mix in a newer state of the directory.
    reads = _Reads(versioning.current())
    # A group with nothing to look for (a term of signs only: "_") finds nothing, so neither
    # does every group together.
    searched = [("whole", together), ("title", together)][: 2 if ranked else 1] if all(groups) else []
    blobs = reads.ids([*searched, ("whole", excluded)])
    unwanted = _mask(size, _positions(index, blobs[-1]))

    def worths(tiers, everywhere: np.ndarray | None = None) -> list[np.ndarray]:
        # Per group, each programme's worth: that of the best of ``tiers`` the group is found
        # in. When every group is known to be in the whole documents of ``everywhere``, the
        # whole ones (which hold the other two) need not be read.
        found = reads.ids([(tier, group) for group in groups for tier, _worth in tiers])
        result = []
        for number in range(len(groups)):
            worth = np.zeros(size) if everywhere is None else np.where(everywhere, TIERS[-1][1], 0.0)
            group_blobs = found[number * len(tiers) : (number + 1) * len(tiers)]
            for blob, (_tier, value) in reversed(list(zip(group_blobs, tiers, strict=True))):  # best last
                worth[_positions(index, blob)] = value
            result.append(worth)
        return result

    every = _mask(size, _positions(index, blobs[0]) if searched else []) & ~unwanted
    if every.any():
        best = _mask(size, _positions(index, blobs[1])) & every if ranked else None
        return Match(every, best=best, rank=lambda: np.sum(worths(TIERS[:-1], every), axis=0))
    if len(groups) > 1:
        # Any word will do; unless the results are ranked, the whole documents alone say which.
        relevance = np.sum(worths(TIERS if ranked else TIERS[-1:]), axis=0)
        anything = (relevance > 0) & ~unwanted
        if anything.any():
            return Match(
                anything,
                relevance if ranked else None,
                rank=lambda: np.sum(worths(TIERS), axis=0),
                step=ANY_WORD,
            )
    # No word matched anything: titles and organisation names spelt alike (see _postgres); per
    # word, the similarity of the closest spelling a programme has.
    corrections = spelt_alike(parsed.terms)
    words = list(dict.fromkeys(word for alike in corrections for word, _s in alike))
    titles = dict(zip(words, reads.ids([("title", _spelling(w)) for w in words]), strict=True))
    relevance = np.zeros(size)
    for alike in corrections:
        closest = np.zeros(size)
        for word, similarity in reversed(alike):  # the closest spelling last, so it counts
            closest[_positions(index, titles[word])] = similarity
        relevance += closest
    return Match(
        (relevance > 0) & ~unwanted,
        relevance,
        step=SPELT_ALIKE,
        corrected=corrected_query(parsed.terms, corrections),
    )


def _mask(size: int, positions: np.ndarray) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask


def _positions(index, blob: bytes) -> np.ndarray:
    return index.positions_of(unpack_ids(blob))[0]


def unpack_ids(blob: bytes) -> np.ndarray:
    """Ids packed by the database with ``int8send`` (8-byte big-endian), as an array."""
    return np.frombuffer(blob, dtype=">i8").astype(np.int64)


class _Reads:
    """The document matches one search reads, under one directory version: each (document,
    tsquery) read once, whether the match cache had it or not."""

    def __init__(self, version):
        self.version = version
        self._blobs: dict = {}

    def ids(self, wanted) -> list[bytes]:
        """For each (document, tsquery text), the ids (8-byte big-endian, concatenated) of the
        programmes whose document (a tier of TIERS) matches it.

        What is neither read already nor in the match cache is read in one statement, through
        the function of migration 0013, which plans with sequential scans off: the planner
        cannot estimate prefix queries and would otherwise read every document
        (docs/benchmarks.md).
        """
        keys = [(connection.alias, self.version.key, document, text) for document, text in wanted]
        for key in keys:
            if not key[-1]:  # an empty tsquery matches nothing
                self._blobs[key] = b""
            elif key not in self._blobs and self.version.cacheable:
                cached = _match_cache.get(key)
                if cached is not None:
                    self._blobs[key] = cached
        missing = list(dict.fromkeys(key for key in keys if key not in self._blobs))
        if missing:
            columns = ", ".join("programme_document_ids(%s, %s::tsquery)" for _key in missing)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {columns}",
                    [p for _alias, _version, document, text in missing for p in (document, text)],
                )
                for key, blob in zip(missing, cursor.fetchone(), strict=True):
                    self._blobs[key] = bytes(blob)
                    if self.version.cacheable:
                        _match_cache.put(key, self._blobs[key])
        return [self._blobs[key] for key in keys]


class MatchCache:
    """The id sets of recent word matches, per process, until the directory changes.

    The same words come back with other filters, pages and orders ("кино", then "кино" in
    Almaty, then page 2), and for a common word the match is most of a page's time (30–110 ms
    for 30,000–80,000 programmes at 100,000). Keys hold the directory version (versioning.py),
    so a commit in any process makes every entry unreachable, as it does the cached pages.
    Bounded by SEARCH_MATCH_CACHE_BYTES,
    least recently used out first; 0 turns it off (bench_search does, unless --match-cache).
    """

    def __init__(self):
        self._entries: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        if not settings.SEARCH_MATCH_CACHE_BYTES:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            _stored_at, value = entry
            self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        limit = settings.SEARCH_MATCH_CACHE_BYTES
        size = len(value) + 100  # an entry's own keep: empty results are not free
        if not limit or size > limit // 4:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic(), value)
            self._bytes += size
            while self._bytes > limit:
                self._drop(next(iter(self._entries)))

    def _drop(self, key) -> None:
        _stored_at, value = self._entries.pop(key)
        self._bytes -= len(value) + 100

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


_match_cache = MatchCache()


@receiver(connection_created)
def _typo_threshold(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # pg_trgm's word-similarity threshold for %> (its default, 0.6, misses "Tolkyn").
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(TYPO_SIMILARITY)]
            )


def _contains_any(term: str) -> Q:
    """SQLite: a programme with ``term`` in any of its forms (expand) in its texts, its Latin
    titles and organisation names, or the names of its types, sectors and places (what
    PostgreSQL's whole document holds)."""
    condition = Q()
    for form in expand(term):
        condition |= Q(search_text__contains=form) | Q(search_latin__contains=to_latin(form))
    return condition | _named(term)


def _in_title(term: str) -> Q:
    """SQLite: a programme with ``term`` in any of its forms in a title, a Latin title or its
    organisation's Latin name (what PostgreSQL's title document holds)."""
    condition = Q()
    for form in expand(term):
        condition |= Q(search_title__contains=stem(form)) | Q(search_latin__contains=to_latin(form))
    return condition


def _named(term: str) -> Q:
    """SQLite: a programme linked to a type, sector or place whose name, in any language, has a
    word starting with one of ``term``'s stems ("ремёсла" and "ремесло" → Ремёсла, "қолөнер" →
    Қолөнер). The few hundred names are compared in Python (SQLite's LIKE folds ASCII only)."""
    prefixes = [re.escape(stem(form)) for form in expand(term) if form]
    condition = Q()
    if not prefixes:
        return condition
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(prefixes) + ")")
    for through, column, names in _term_names():
        ids = [pk for pk, name in names if pattern.search(name)]
        if ids:
            condition |= Q(pk__in=through.objects.filter(**{f"{column}__in": ids}).values("programme_id"))
    return condition


_term_name_cache: dict = {}


def _term_names() -> list[tuple[type, str, list[tuple[int, str]]]]:
    """For each of NAMED_LINKS: its link model, term column, and (term id, names in every
    language, folded) of its terms; per directory version."""
    from .models import Programme

    version = versioning.current()
    key = (connection.alias, version.key)
    found = _term_name_cache.get(key) if version.cacheable else None
    if found is None:
        found = []
        for relation, _table, column in NAMED_LINKS:
            field = Programme._meta.get_field(relation)
            names = field.related_model.objects.values_list("pk", *get_translation_fields("name"))
            found.append(
                (
                    field.remote_field.through,
                    column,
                    [(pk, normalise("\n".join(n for n in texts if n))) for pk, *texts in names],
                )
            )
        if version.cacheable:
            _term_name_cache.clear()
            _term_name_cache[key] = found
    return found


def _sqlite(queryset, parsed: ParsedQuery) -> SearchPlan:
    """The steps of ``_postgres`` (all words; else any word; else words spelt alike) with LIKE."""
    groups = [Q() for _ in parsed.groups]
    for i, group in enumerate(parsed.groups):
        for term in group:
            groups[i] |= _contains_any(term)
    # Excluded words are read as every other word: "-фильм" leaves out "кино" too, as on PostgreSQL.
    excluded = Q(pk__in=[])
    for term in parsed.excluded:
        excluded |= _contains_any(term)
    # TIERS as far as SQLite can tell them: per word group, a title (or, as in PostgreSQL's title
    # document, a Latin title or organisation name) is worth the most, any other match the least;
    # SQLite keeps no summaries apart, so there is no middle tier.
    in_titles = []
    for group in parsed.groups:
        in_title = Q()
        for term in group:
            in_title |= _in_title(term)
        in_titles.append(in_title)

    def tiers(every_group_found: bool):
        total = Value(0.0)
        for in_title, condition in zip(in_titles, groups, strict=True):
            # Where every group is found, each is worth the least at least: the text need not
            # be searched again (LIKE over every text is most of a search's time).
            found = () if every_group_found else (When(condition, then=Value(TIERS[-1][1])),)
            total = total + Case(
                When(in_title, then=Value(TIERS[0][1])),
                *found,
                default=Value(TIERS[-1][1] if every_group_found else 0.0),
                output_field=FloatField(),
            )
        return ExpressionWrapper(total, output_field=FloatField())

    every = Q()
    for condition in groups:
        every &= condition
    if queryset.filter(every & ~excluded).exists():
        return SearchPlan(every & ~excluded, tiers(every_group_found=True))
    anything = Q(pk__in=[])
    for condition in groups:
        anything |= condition
    if len(groups) > 1 and queryset.filter(anything & ~excluded).exists():
        return SearchPlan(anything & ~excluded, tiers(every_group_found=False), step=ANY_WORD)
    # As on PostgreSQL: titles and organisation names (their Latin letters) with the spellings
    # alike; per word, the similarity of the closest spelling a programme has.
    corrections = spelt_alike(parsed.terms)
    alike = Q(pk__in=[])
    relevance = Value(0.0)
    for corrections_of_word in corrections:
        for word, _similarity in corrections_of_word:
            alike |= Q(search_latin__contains=word)
        relevance = relevance + Case(
            *(When(search_latin__contains=word, then=Value(sim)) for word, sim in corrections_of_word),
            default=Value(0.0),
            output_field=FloatField(),
        )
    return SearchPlan(
        alike & ~excluded,
        ExpressionWrapper(relevance, output_field=FloatField()),
        step=SPELT_ALIKE,
        corrected=corrected_query(parsed.terms, corrections),
    )


def order_by_relevance(queryset: QuerySet[Programme]) -> QuerySet[Programme]:
    """Most relevant first; among equals, open before upcoming before closed, then the soonest
    deadline. Without search words there is no relevance: the deadline order applies."""
    if "relevance" not in queryset.query.annotations:
        return queryset.ordered_by("deadline")
    return queryset.with_status().order_by(F("relevance").desc(nulls_last=True), *relevance_ties())


def relevance_ties() -> list:
    """The order among equally relevant programmes (also read by index.ProgrammeIndex.order)."""
    return ["status", F("closes_on").asc(nulls_last=True), "title", "slug"]


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
