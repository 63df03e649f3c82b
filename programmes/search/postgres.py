"""Word search on PostgreSQL: queries as tsqueries over the search documents (documents.py),
and the typo vocabulary.

Russian and English stemmed by PostgreSQL, Kazakh by prefix matching after a light suffix strip
(query.stem), Latin spellings of Cyrillic words ("Даму" → "damu") matched too. ``plan`` takes
the steps on a queryset: every word group together; else any of them (ranked by how much
matches); else each word corrected against the vocabulary of titles and organisation names
(``spelt_alike``: "Tolkyn", "акселератр"). ``group_queries`` gives each group's tsquery, which
ranking.match reads too, for the search page's index.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Case, ExpressionWrapper, FloatField, Q, Value, When

from ..choices import PublicationState
from .query import (
    ANY_WORD,
    SPELLING_VARIANTS,
    SPELT_ALIKE,
    TIERS,
    TYPO_CORRECTIONS,
    TYPO_SIMILARITY,
    ParsedQuery,
    SearchPlan,
    corrected_query,
    expand,
    fold_spelling,
    typo_words,
)


def group_queries(groups: list[list[str]]) -> list[str]:
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
    """A tsquery already in PostgreSQL's own text form (``group_queries``), read as it is: a
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


def plan(queryset, parsed: ParsedQuery) -> SearchPlan:
    """How ``parsed`` is matched among ``queryset``: every group in the whole documents; else
    (more than one group) any of them; else words spelt alike in titles and organisation names.
    Relevance is the TIERS sum, per group the worth of the best document it is found in."""
    *groups, unwanted = group_queries([*parsed.groups, parsed.excluded])
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
        in_title = [
            (Q(document__title=_TsQuery(word_tsquery(word))), sim) for word, sim in corrections_of_word
        ]
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


def word_tsquery(word: str) -> str:
    """A word of the vocabulary (a lexeme of the titles, as PostgreSQL made it) as a tsquery."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def spelt_alike(terms: list[str]) -> list[list[tuple[str, float]]]:
    """For each word of ``terms`` (in Latin letters: "Толкын" is compared as "tolkyn"), the words
    of titles and organisation names spelt most like it, with their similarity, closest first:
    "tolkyn" → [("tolqyn", 1.0)].

    Similarity is pg_trgm's (shared trigrams over all trigrams), of the words as they are or
    with q/k and y/i read as one (``fold_spelling``), whichever is higher. PostgreSQL asks its
    vocabulary table (models.SearchWord, trigram-indexed), instead of comparing the query with
    every programme's titles, which took seconds at 100,000 programmes. (SQLite compares with a
    vocabulary held in the process: sqlite.spelt_alike.)
    """
    latin = typo_words(terms)
    if not latin:
        return []
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
                "from": SPELLING_VARIANTS[0],
                "to": SPELLING_VARIANTS[1],
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
