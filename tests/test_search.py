"""Search behaviour on every database: parsing, stemming, Latin spellings, highlighting."""

import pytest

from programmes import search
from tests.conftest import titles
from tests.factories import OrganisationFactory, ProgrammeFactory


@pytest.mark.parametrize(
    ("query", "groups", "excluded"),
    [
        ("кино музыка", [["кино"], ["музыка"]], []),
        ('"жас авторлар" грант', [["жас авторлар"], ["грант"]], []),
        ("кино -музыка", [["кино"]], ["музыка"]),
        ("film or music", [["film", "music"]], []),
        ("кино или музыка грант", [["кино", "музыка"], ["грант"]], []),
        ("or or", [], []),
        ('"unclosed phrase', [["unclosed"], ["phrase"]], []),
        ("!!! ::: & | (", [], []),
        ("-", [], []),
    ],
)
def test_parse_never_raises_and_reads_quotes_minus_or(query, groups, excluded):
    parsed = search.parse(query)
    assert (parsed.groups, parsed.excluded) == (groups, excluded)


def test_parse_bounds_the_number_of_terms():
    assert len(search.parse("слово " * 30).terms) == 1
    assert len(search.parse(" ".join(f"w{n}" for n in range(100))).terms) == search.MAX_WORDS


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("музыканттарға", "музыкант"),
        ("кинопроектов", "кинопроект"),
        ("фонды", "фонд"),
        ("кино", "кино"),
        ("grants", "grants"),
    ],
)
def test_stem_strips_kazakh_and_russian_endings(word, expected):
    assert search.stem(word) == expected


def test_highlight_marks_matching_words_and_escapes_everything_else():
    text = 'Гранты для <b>кинопроектов</b> & "музыки"'
    marked = search.highlight(text, "кинопроект")
    assert marked == "Гранты для &lt;b&gt;<mark>кинопроектов</mark>&lt;/b&gt; &amp; &quot;музыки&quot;"


def test_highlight_cannot_inject_markup_through_the_query():
    assert "<script" not in search.highlight("plain text", "<script>alert(1)</script>")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Даму", ["Damu loans"]),
        ("damu", ["Damu loans"]),
        ("Толқын", ["Tolqyn Film Fund"]),
        ("Tolqyn", ["Tolqyn Film Fund"]),
        ("кинопроектов", ["Tolqyn Film Fund"]),
        ("музыканттарға", ["Music grant"]),
        ("tolqyn -film", []),
    ],
)
def test_other_script_word_forms_and_exclusion(client, query, expected):
    ProgrammeFactory(
        title_en="Damu loans", title_ru="Кредиты «Даму»", organisation=OrganisationFactory(name_en="Damu")
    )
    ProgrammeFactory(
        title_en="Tolqyn Film Fund", title_ru="Частные инвестиции в кинопроекты", title_kk="Толқын кино қоры"
    )
    ProgrammeFactory(title_en="Music grant", title_kk="Музыканттарға арналған грант")
    assert titles(client.get("/en/programmes/", {"q": query})) == expected


@pytest.mark.django_db
def test_results_highlight_the_search_words(client):
    ProgrammeFactory(title_en="Film grant", summary_en="Money for film makers.")
    html = client.get("/en/programmes/", {"q": "film"}).content.decode()
    assert "<mark>Film</mark> grant" in html
    assert "Money for <mark>film</mark> makers." in html


@pytest.mark.django_db
def test_purpose_words_find_what_programmes_call_it(client):
    ProgrammeFactory(title_ru="Грант для кинематографистов", title_en="Film-makers' grant", summary_ru="Кино")
    assert titles(client.get("/ru/programmes/", {"q": "деньги на фильм"})) == ["Грант для кинематографистов"]
