"""Word search on SQLite (the embedded default): the steps of postgres.py with LIKE.

Case-folded text columns of the programme row (query.document_for) matched with LIKE, and the
names of a programme's types, sectors and places matched in Python (``_named``); the same
parsing, stemming, Latin spellings, exclusions and steps (all words; else any word; else words
spelt alike, against a vocabulary held per directory version: ``_Vocabulary``), ranked by how
many word groups a title contains (query.TIERS as far as SQLite can tell them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from django.db import connection
from django.db.models import Case, ExpressionWrapper, FloatField, Q, Value, When
from modeltranslation.utils import get_translation_fields

from .. import facets, versioning
from ..models import Programme
from ..transliteration import to_latin
from .query import (
    ANY_WORD,
    DIGIT,
    SPELT_ALIKE,
    TIERS,
    TYPO_CORRECTIONS,
    TYPO_SIMILARITY,
    WORD,
    ParsedQuery,
    SearchPlan,
    corrected_query,
    expand,
    fold_spelling,
    normalise,
    stem,
    trigrams,
    typo_words,
)
from .ranking import Match


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
    """For each named facet (facets.NAMED): its link model, term column, and (term id, names in every
    language, folded) of its terms; per directory version."""
    version = versioning.current()
    key = (connection.alias, version.key)
    found = _term_name_cache.get(key) if version.cacheable else None
    if found is None:
        found = []
        for facet in facets.NAMED:
            names = facet.model.objects.values_list("pk", *get_translation_fields("name"))
            found.append(
                (
                    facet.through,
                    facet.term_column,
                    [(pk, normalise("\n".join(n for n in texts if n))) for pk, *texts in names],
                )
            )
        if version.cacheable:
            _term_name_cache.clear()
            _term_name_cache[key] = found
    return found


def plan(queryset, parsed: ParsedQuery) -> SearchPlan:
    """The steps of ``postgres.plan`` (all words; else any word; else words spelt alike) with LIKE."""
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


def match(parsed: ParsedQuery, index) -> Match:
    """``plan``'s query over the published programmes, as a Match over the positions of
    ``index`` (index.ProgrammeIndex), for the search page."""
    published = Programme.objects.published()
    chosen = plan(published, parsed)
    rows = list(chosen.apply(published).values_list("pk", "relevance"))
    positions, found = index.positions_of(np.array([pk for pk, _r in rows], dtype=np.int64))
    relevance = np.zeros(index.size)
    relevance[positions] = np.array([r or 0 for _pk, r in rows], dtype=float)[found]
    mask = np.zeros(index.size, dtype=bool)
    mask[positions] = True
    return Match(mask, relevance, step=chosen.step, corrected=chosen.corrected)


def spelt_alike(terms: list[str]) -> list[list[tuple[str, float]]]:
    """postgres.spelt_alike computed in Python, against the vocabulary of this directory
    version: the same words with the same similarities."""
    return [_vocabulary().alike(word) for word in typo_words(terms)]


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
    version = versioning.current()
    key = (connection.alias, version.key)
    vocabulary = _vocabularies.get(key) if version.cacheable else None
    if vocabulary is None:
        texts = Programme.objects.published().order_by().values_list("search_latin", flat=True)
        words: set[str] = set()
        for text in texts.iterator(chunk_size=2000):
            words.update(WORD.findall(text))
        # Numbers are left out, as on PostgreSQL: there is nothing to correct in them.
        vocabulary = _Vocabulary(word for word in words if not DIGIT.search(word))
        if version.cacheable:
            _vocabularies.clear()  # the other versions' are of no use any more
            _vocabularies[key] = vocabulary
    return vocabulary
