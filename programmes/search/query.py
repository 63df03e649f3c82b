"""What a search asks, read without the database: parsing, stemming, synonyms and Latin
spellings, the limits on a query, the typo helpers both engines share, and the text a programme
is found by (``document_for``).

Pure: no model and no database is imported here, so that models.py can derive a programme's
search columns from this module without importing the engines above it (postgres.py, sqlite.py).
User input is parsed here, never handed to PostgreSQL's parser as is: quotes make a phrase,
``-word`` excludes, ``or`` (``или``, ``немесе``) offers alternatives.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from modeltranslation.utils import get_translation_fields

from ..transliteration import to_latin

if TYPE_CHECKING:
    from django.db.models import Q, QuerySet

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
SPELLING_VARIANTS = ("qy", "ki")
_FOLD = str.maketrans(*SPELLING_VARIANTS)

# The steps a search takes (Match.step, SearchPlan.step): every word group found together; else
# any of them (more than one group); else words spelt alike (spelt_alike).
ALL_WORDS, ANY_WORD, SPELT_ALIKE = "all", "any", "alike"

_TOKEN = re.compile(r'"([^"]*)"|(-?)([\w][\w\'’-]*)')
# A word as the search reads one (also the words of the typo vocabulary).
WORD = re.compile(r"\w+")
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

# The relevance tiers: where a word is found, and what finding it there is worth. A title match
# outranks a summary or organisation match, which outranks a match only in the long texts; a
# programme's relevance is the sum over the query's words of the best tier each is found in.
# The last document is the whole programme (it holds the other two).
TIERS = (("title", 1.0), ("short", 0.4), ("whole", 0.1))


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
    for match in WORD.finditer(normalise(query[:MAX_QUERY_LENGTH])):
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
            term = " ".join(WORD.findall(phrase))[: MAX_WORD_LENGTH * 3]
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


def expand(term: str) -> list[str]:
    """A word and what it may also be written as: stem, Latin spelling, purpose synonyms."""
    forms = [term]
    for form in (stem(term), to_latin(term), *SYNONYMS.get(term, [])):
        if form and form not in forms:
            forms.append(form)
    return forms


@dataclass
class SearchPlan:
    """How a query is matched among a queryset (postgres.plan, sqlite.plan): the step that
    found something, as a condition and a relevance expression to apply."""

    condition: Q
    relevance: object
    step: str = ALL_WORDS
    # The query as it was read in the SPELT_ALIKE step ("tolqyn" for "Tolkyn"), else None.
    corrected: str | None = None

    def apply(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` narrowed to what the query finds, annotated with ``relevance``."""
        return queryset.filter(self.condition).annotate(relevance=self.relevance)


def typo_words(terms: list[str]) -> list[str]:
    """The words of ``terms`` in Latin letters, as they are compared with the vocabulary."""
    return [to_latin(word) for term in terms for word in WORD.findall(normalise(term))][:MAX_WORDS]


def fold_spelling(word: str) -> str:
    """A Latin word with the letters its spellings vary in read as one: "tolqyn" → "tolkin"."""
    return word.translate(_FOLD)


def corrected_query(terms: list[str], corrections: list[list[tuple[str, float]]]) -> str | None:
    """The query as the SPELT_ALIKE step read it, each word replaced by its closest spelling
    ("Tolkyn grant" → "tolqyn grant"); None when no word had one."""
    if not any(corrections):
        return None
    return " ".join(
        alike[0][0] if alike else word for word, alike in zip(typo_words(terms), corrections, strict=True)
    )


def trigrams(word: str) -> set[str]:
    """A word's trigrams as pg_trgm makes them: two spaces before the word, one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


# Numbers are left out of the typo vocabulary: there is nothing to correct in them.
DIGIT = re.compile("[0-9]")


# --- The text a programme is found by -----------------------------------------------------------


def _all_languages(obj, fields) -> list[str]:
    """The distinct values of ``fields`` of ``obj`` in every language."""
    values = []
    for name in fields:
        for column in get_translation_fields(name):
            value = getattr(obj, column, None)
            if value and value not in values:
                values.append(value)
    return values


def document_for(programme, *, postgresql: bool) -> tuple[str, str, str]:
    """The (titles, full text, Latin titles and organisation) a programme is found by, from its
    own attributes (and its organisation's); the first two only where they are searched: not
    on PostgreSQL (``postgresql``), which searches its documents (documents.py)."""
    titles = _all_languages(programme, TITLE_FIELDS)
    texts = _all_languages(programme, TEXT_FIELDS)
    organisation = (
        _all_languages(programme.organisation, ORGANISATION_FIELDS) if programme.organisation_id else []
    )
    latin = to_latin(normalise("\n".join(titles + organisation)))
    if postgresql:
        # PostgreSQL searches its vectors; the folded copies serve SQLite's LIKE path only, and
        # on PostgreSQL they made every row a third wider (209 → 135 MB at 100,000 programmes),
        # which every search that reads many rows pays for.
        return "", "", latin
    text = normalise("\n".join(texts + organisation))
    return normalise("\n".join(titles)), text, latin
