"""Search behaviour on every database: parsing, stemming, Latin spellings, highlighting."""

import html
import re

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from programmes import services
from programmes.choices import PublicationState
from programmes.models import Programme, Sector
from programmes.search import matching, sqlite
from programmes.search import query as search_query
from programmes.search.highlight import highlight
from tests.conftest import titles
from tests.factories import (
    LocationFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)


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
    parsed = search_query.parse(query)
    assert (parsed.groups, parsed.excluded) == (groups, excluded)


def test_parse_bounds_the_number_of_terms():
    assert len(search_query.parse("слово " * 30).terms) == 1
    assert len(search_query.parse(" ".join(f"w{n}" for n in range(100))).terms) == search_query.MAX_WORDS


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
    assert search_query.stem(word) == expected


def test_highlight_marks_matching_words_and_escapes_everything_else():
    text = 'Гранты для <b>кинопроектов</b> & "музыки"'
    marked = highlight(text, "кинопроект")
    assert marked == "Гранты для &lt;b&gt;<mark>кинопроектов</mark>&lt;/b&gt; &amp; &quot;музыки&quot;"


def test_highlight_cannot_inject_markup_through_the_query():
    assert "<script" not in highlight("plain text", "<script>alert(1)</script>")


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


# --- Issue #17: names of types, sectors and places; typos and partial matches on every database --


@pytest.fixture
def crafts_and_film(db):
    """Demo-like programmes: crafts and film found by their sector's name alone (no text says
    "ремесло", "қолөнер" or "кино"), besides one whose title says it."""
    crafts = SectorFactory(slug="crafts", name_en="Crafts", name_ru="Ремёсла", name_kk="Қолөнер")
    film = SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино")
    grant = ProgrammeTypeFactory(slug="grant", name_en="Grant", name_ru="Грант", name_kk="Грант")
    kyzylorda = LocationFactory(
        slug="kyzylorda", name_en="Kyzylorda", name_ru="Кызылорда", name_kk="Қызылорда"
    )
    # Slugs in the order of the English titles: equally relevant programmes are then in the same
    # order in every language (by title, then slug), whichever titles a language lacks.
    ProgrammeFactory(
        slug="felt", title_en="Felt and leather workshops", sectors=[crafts], locations=[kyzylorda]
    )
    ProgrammeFactory(slug="artisan", title_en="Artisan support", sectors=[crafts], types=[grant])
    ProgrammeFactory(slug="screen", title_en="Screen stories", sectors=[film], types=[grant])
    ProgrammeFactory(slug="documentary", title_en="Documentary lab", sectors=[film])
    ProgrammeFactory(slug="kino", title_en="Kino Weekend", title_ru="Кино выходного дня")
    ProgrammeFactory(
        slug="tolqyn",
        title_en="Tolqyn Film Fund",
        title_ru="Фонд Tolqyn",
        title_kk="Толқын кино қоры",
        sectors=[film],
    )
    ProgrammeFactory(slug="music", title_en="Music residency")


@pytest.mark.parametrize(
    ("language", "query", "expected"),
    [
        # A sector's name in every language and its word forms ("ремёсла", "ремесло")
        ("ru", "ремесло", ["Artisan support", "Felt and leather workshops"]),
        ("ru", "ремёсла", ["Artisan support", "Felt and leather workshops"]),
        ("kk", "қолөнер", ["Artisan support", "Felt and leather workshops"]),
        ("en", "crafts", ["Artisan support", "Felt and leather workshops"]),
        # Every film programme: those whose titles say so first, then those of the sector
        ("ru", "кино", ["Кино выходного дня", "Фонд Tolqyn", "Documentary lab", "Screen stories"]),
        # Types and places by name
        ("ru", "гранты", ["Artisan support", "Screen stories"]),
        ("kk", "Қызылорда", ["Felt and leather workshops"]),
        # Excluded words are read like the others, names included
        ("ru", "кино -гранты", ["Кино выходного дня", "Фонд Tolqyn", "Documentary lab"]),
        # ... with their purpose synonyms: "фильм" stands for "кино" when excluded too
        ("ru", "выходного -фильм", []),
    ],
)
def test_words_find_the_names_of_types_sectors_and_places(client, crafts_and_film, language, query, expected):
    response = client.get(f"/{language}/programmes/", {"q": query})
    assert titles(response) == expected
    assert 'id="search-note"' not in response.content.decode()


@pytest.mark.parametrize("query", ["Tolkyn", "tolkin", "Толкын", "Tolkyn fundd"])
def test_a_misspelt_name_finds_the_programme_and_says_how_it_was_read(client, crafts_and_film, query):
    response = client.get("/en/programmes/", {"q": query})
    assert titles(response) == ["Tolqyn Film Fund"]
    corrected = "tolqyn fund" if " " in query else "tolqyn"
    assert note(response) == f"Showing results for “{corrected}”."
    # The title is marked where the corrected spelling was found.
    assert "<mark>Tolqyn</mark>" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Showing results for “tolqyn”."),
        ("ru", "Показаны результаты по запросу «tolqyn»."),
        ("kk", "«tolqyn» сұрауы бойынша нәтижелер көрсетілді."),
    ],
)
def test_the_corrected_spelling_is_said_in_the_pages_language(client, crafts_and_film, language, expected):
    assert note(client.get(f"/{language}/programmes/", {"q": "Tolkyn"})) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "No programme matches all your words; showing programmes that match some of them."),
        (
            "ru",
            "Ни в одной программе нет всех ваших слов; показаны программы, в которых есть некоторые из них.",
        ),
        (
            "kk",
            "Барлық сөздеріңіз кездесетін бағдарлама жоқ; олардың кейбірі кездесетін бағдарламалар көрсетілді.",
        ),
    ],
)
def test_partial_results_are_announced_above_them(client, crafts_and_film, language, expected):
    # No programme is both a crafts and a music one: each word alone finds some.
    response = client.get(f"/{language}/programmes/", {"q": "crafts music"})
    # The title's word first (as in every search), then the sector's.
    assert titles(response) == ["Music residency", "Artisan support", "Felt and leather workshops"]
    assert note(response) == expected
    html = response.content.decode()
    assert html.index('id="search-note"') < html.index('id="results"')


@pytest.mark.parametrize("query", ["", "crafts", "кино гранты", "nothingmatcheszzz", "crafts -artisan -felt"])
def test_no_note_when_the_words_are_read_as_typed_or_nothing_is_shown(client, crafts_and_film, query):
    response = client.get("/en/programmes/", {"q": query} if query else {})
    assert 'id="search-note"' not in response.content.decode()


def test_the_note_is_not_shown_when_filters_leave_nothing(client, crafts_and_film):
    response = client.get("/en/programmes/", {"q": "crafts music", "sector": "film"})
    assert titles(response) == []
    assert 'id="search-note"' not in response.content.decode()


def test_a_renamed_sector_is_found_by_its_new_name(client, crafts_and_film):
    assert titles(client.get("/ru/programmes/", {"q": "ремесло"})) == [
        "Artisan support",
        "Felt and leather workshops",
    ]
    Sector.objects.filter(slug="crafts").update(name_ru="Рукоделие")
    crafts = Sector.objects.get(slug="crafts")
    crafts.save()  # through save(), as the admin does: the search documents follow
    assert titles(client.get("/ru/programmes/", {"q": "ремесло"})) == []
    assert titles(client.get("/ru/programmes/", {"q": "рукоделие"})) == [
        "Artisan support",
        "Felt and leather workshops",
    ]


def test_a_new_title_word_joins_the_typo_vocabulary(client, crafts_and_film):
    assert titles(client.get("/en/programmes/", {"q": "Kobyz"})) == []
    ProgrammeFactory(title_en="Qobyz school")
    assert titles(client.get("/en/programmes/", {"q": "Kobyz"})) == ["Qobyz school"]


def test_spelt_alike_gives_the_same_similarities_on_every_database(crafts_and_film):
    # pg_trgm's similarity (PostgreSQL's is a 4-byte float: rounded), q/k and y/i read as one.
    alike = matching.spelt_alike(["Tolkyn", "Толкын", "workshop", "zzzz"])
    assert [[(word, round(similarity, 3)) for word, similarity in words] for words in alike] == [
        [("tolqyn", 1.0)],
        [("tolqyn", 1.0)],
        [("workshops", 0.727)],
        [],
    ]


def note(response) -> str:
    """The text of the search page's note on how the words were read."""
    match = re.search(r'<p class="search-note" id="search-note">(.*?)</p>', response.content.decode(), re.S)
    assert match, "no note"
    return html.unescape(re.sub(r"\s+", " ", match.group(1)).strip())


def test_a_drafts_title_words_never_reach_the_typo_corrections(client, crafts_and_film):
    # "Showing results for …" prints the correction: a draft's word there would reveal an
    # unannounced title to anyone guessing its start. On both databases.
    draft = ProgrammeFactory(
        slug="secret", title_en="Zanzibarovich secret grant", state=PublicationState.DRAFT
    )
    ProgrammeFactory(slug="archived", title_en="Quixotrellum grant", state=PublicationState.ARCHIVED)
    assert matching.spelt_alike(["zanzibarovih", "quixotrelum", "Tolkyn"]) == [[], [], [("tolqyn", 1.0)]]
    response = client.get("/en/programmes/", {"q": "zanzibarovih Tolkyn"})
    assert titles(response) == ["Tolqyn Film Fund"]
    assert note(response) == "Showing results for “zanzibarovih tolqyn”."
    # Once it is published, its words are public and join the vocabulary.
    services.publish(Programme.objects.filter(pk=draft.pk))
    assert [word for word, _similarity in matching.spelt_alike(["zanzibarovih"])[0]] == ["zanzibarovich"]
    assert titles(client.get("/en/programmes/", {"q": "zanzibarovih"})) == ["Zanzibarovich secret grant"]
    # Withdrawn again (or renamed), its words are no correction any more, though the vocabulary
    # keeps them on PostgreSQL.
    services.archive(Programme.objects.filter(pk=draft.pk))
    assert matching.spelt_alike(["zanzibarovih", "Tolkyn"]) == [[], [("tolqyn", 1.0)]]
    response = client.get("/en/programmes/", {"q": "zanzibarovih Tolkyn"})
    assert note(response) == "Showing results for “zanzibarovih tolqyn”."


@pytest.mark.postgres
@hypothesis_settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@given(
    titles_=st.lists(
        st.lists(st.text("aiklnoqrsty", min_size=3, max_size=8), min_size=1, max_size=2),
        min_size=1,
        max_size=4,
    ),
    asked=st.lists(st.text("aiklnoqrsty", min_size=3, max_size=8), min_size=1, max_size=3),
)
def test_sqlite_typo_similarity_agrees_with_postgresql(db, titles_, asked):
    """SQLite's trigram vocabulary (sqlite._Vocabulary) restates pg_trgm's similarity with q/k
    and y/i read as one: on random words, it offers the same corrections with the same
    similarities as PostgreSQL's query over the same published titles (four words or fewer a
    title set, so TYPO_CORRECTIONS never cuts between ties)."""
    with transaction.atomic():  # each example's programmes rolled back at its end
        organisation = OrganisationFactory(name_en="x", name_ru="x", name_kk="x")
        for number, words in enumerate(titles_):
            ProgrammeFactory(slug=f"t{number}", title_en=" ".join(words), organisation=organisation)
        published = Programme.objects.published().values_list("search_latin", flat=True)
        vocabulary = sqlite._Vocabulary(
            word
            for text in published
            for word in search_query.WORD.findall(text)
            if not search_query.DIGIT.search(word)
        )
        on_postgresql = matching.spelt_alike(asked)
        in_python = [vocabulary.alike(word) for word in search_query.typo_words(asked)]
        transaction.set_rollback(True)
    rounded = [sorted((w, round(s, 3)) for w, s in words) for words in on_postgresql]
    assert rounded == [sorted((w, round(s, 3)) for w, s in words) for words in in_python]


@pytest.mark.postgres
def test_a_saved_programme_is_found_in_its_own_transaction_and_an_import_rebuilds_once(db):
    # The documents are rebuilt by a post_save receiver (signals.programme_saved): in the saving
    # transaction, before any commit; inside deferred_vector_updates(), once for every save.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programmes.search import documents
    from programmes.search.matching import filter_by_words

    with transaction.atomic():
        saved = ProgrammeFactory(slug="zephyr", title_en="Zephyr grant")
        assert [p.slug for p in filter_by_words(Programme.objects.all(), "zephyr")] == ["zephyr"]
        saved.title_en = "Mistral grant"
        saved.save()
        assert [p.slug for p in filter_by_words(Programme.objects.all(), "mistral")] == ["zephyr"]
    with CaptureQueriesContext(connection) as queries, documents.deferred_vector_updates():
        ProgrammeFactory(slug="sirocco", title_en="Sirocco fund")
        ProgrammeFactory(slug="bora", title_en="Bora fund")
        assert filter_by_words(Programme.objects.all(), "sirocco").count() == 0  # not yet
    rebuilds = [
        q["sql"] for q in queries.captured_queries if "INSERT INTO programmes_searchdocument" in q["sql"]
    ]
    assert len(rebuilds) == 1
    found = filter_by_words(Programme.objects.all(), "sirocco or bora").order_by("slug")
    assert [p.slug for p in found] == ["bora", "sirocco"]
