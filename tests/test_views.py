"""Public pages: what a visitor sees, in each language."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programmes.choices import PublicationState
from tests.conftest import titles
from tests.factories import (
    ExchangeRateFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tolqyn(places):
    fund = ProgrammeTypeFactory(
        slug="investment-fund", name_en="Investment fund", name_ru="Инвестиционный фонд"
    )
    film = SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино")
    organisation = OrganisationFactory(
        slug="tolqyn-film-fund", name_en="Tolqyn Film Fund OEIC Ltd.", name_ru="Tolqyn Film Fund"
    )
    return ProgrammeFactory(
        slug="tolqyn-film-fund",
        title_en="Tolqyn Film Fund",
        title_ru="Фонд кино Tolqyn",
        title_kk="",
        summary_en="Equity for Kazakh feature films.",
        summary_ru="Инвестиции в казахстанские фильмы.",
        description_en="Targets 15–20 projects over three years.",
        organisation=organisation,
        types=[fund],
        sectors=[film],
        is_nationwide=True,
        total_budget=Decimal("5500000000"),
        source_url="https://example.org/aifc-report",
    )


def test_root_redirects_by_browser_language(client):
    assert client.get("/", headers={"accept-language": "kk"})["Location"] == "/kk/"
    assert client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})["Location"] == "/en/"


def test_programme_page_shows_facts_source_and_check_date(client, tolqyn):
    html = client.get("/en/programmes/tolqyn-film-fund/").content.decode()
    assert "<h1>Tolqyn Film Fund</h1>" in html
    for text in (
        "Tolqyn Film Fund OEIC Ltd.",
        "5,500,000,000\u00a0₸",
        "All of Kazakhstan",
        "Film",
        "https://example.org/aifc-report",
        "Not yet checked against the organiser's own pages",
    ):
        assert text in html


def test_programme_page_untranslated_kazakh_falls_back_to_russian_and_says_so(client, tolqyn):
    html = client.get("/kk/programmes/tolqyn-film-fund/").content.decode()
    assert '<h1 lang="ru">Фонд кино Tolqyn</h1>' in html
    assert 'class="fallback-note"' in html
    # English description exists only in English: shown as the next fallback, marked up as such.
    assert '<div class="prose" lang="en">' in html


def test_programme_page_has_hreflang_alternates_and_json_ld(client, tolqyn):
    html = client.get("/ru/programmes/tolqyn-film-fund/").content.decode()
    for code in ("kk", "ru", "en"):
        assert (
            f'<link rel="alternate" hreflang="{code}" href="http://testserver/{code}/programmes/tolqyn-film-fund/">'
            in html
        )
    data = json.loads(
        re.search(r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', html, re.S).group(1)
    )
    assert data["@type"] == "MonetaryGrant"
    assert data["name"] == "Фонд кино Tolqyn"
    assert data["funder"]["name"] == "Tolqyn Film Fund"


def test_json_ld_cannot_be_closed_by_content(client, tolqyn):
    tolqyn.title_en = "</script><script>alert(1)</script>"
    tolqyn.save()
    html = client.get("/en/programmes/tolqyn-film-fund/").content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def test_drafts_and_archived_programmes_are_not_public(client, tolqyn):
    for state in (PublicationState.DRAFT, PublicationState.ARCHIVED):
        tolqyn.state = state
        tolqyn.save()
        assert client.get("/en/programmes/tolqyn-film-fund/").status_code == 404
        assert titles(client.get("/en/programmes/")) == []
        # Its organisation has nothing else public: no page either (nor a place in the sitemap).
        assert client.get("/en/organisations/tolqyn-film-fund/").status_code == 404


def test_unknown_programme_is_a_404_in_the_pages_language(client, db):
    response = client.get("/ru/programmes/no-such-programme/")
    assert response.status_code == 404
    assert '<html lang="ru">' in response.content.decode()
    response = client.get("/en/organisations/no-such-organisation/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_organisation_page_lists_its_published_programmes(client, tolqyn):
    ProgrammeFactory(title_en="Second round", organisation=tolqyn.organisation)
    ProgrammeFactory(title_en="Hidden draft", organisation=tolqyn.organisation, state=PublicationState.DRAFT)
    response = client.get("/en/organisations/tolqyn-film-fund/")
    assert titles(response) == ["Second round", "Tolqyn Film Fund"]


def test_language_switcher_keeps_the_search(client, tolqyn):
    html = client.get("/en/programmes/?q=film&sector=film").content.decode()
    assert 'href="/kk/programmes/?q=film&amp;sector=film" hreflang="kk"' in html
    assert 'href="/ru/programmes/?q=film&amp;sector=film" hreflang="ru"' in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [("kk", ["Фонд кино Tolqyn"]), ("ru", ["Фонд кино Tolqyn"]), ("en", ["Tolqyn Film Fund"])],
)
def test_search_finds_russian_words_on_every_language_page(client, tolqyn, language, expected):
    assert titles(client.get(f"/{language}/programmes/?q=ФОНД кино")) == expected


def test_converted_amounts_show_the_original_and_tenge(client, tolqyn, today):
    ExchangeRateFactory(currency="USD", kzt_per_unit="500", valid_from="2026-01-01")
    ProgrammeFactory(slug="usd", title_en="Dollar grant", amount_max=Decimal(2000), currency="USD")
    html = client.get("/en/programmes/usd/").content.decode()
    assert "up to 2,000\u00a0$" in html
    assert "≈ 1,000,000\u00a0₸" in html


def test_home_page_counts_types_and_sectors_and_lists_closing_soon(client, tolqyn, today):
    import datetime

    ProgrammeFactory(title_en="Closing grant", closes_on=datetime.date(2026, 3, 10), deadline_type="fixed")
    ProgrammeFactory(title_en="Far grant", closes_on=datetime.date(2026, 9, 10), deadline_type="fixed")
    html = client.get("/en/").content.decode()
    assert (
        '<a href="/en/programmes/?type=investment-fund">Investment fund</a> <span class="count">1 programme</span>'
        in html
    )
    assert '<a href="/en/programmes/?sector=film">Film</a> <span class="count">1 programme</span>' in html
    closing = html[html.index('id="closing-soon"') :]
    assert "Closing grant" in closing
    assert "Far grant" not in closing


def test_home_page_closing_soon_cards_show_their_status(client, db, today):
    import datetime

    ProgrammeFactory(title_en="Closing grant", closes_on=datetime.date(2026, 3, 19), deadline_type="fixed")
    html = client.get("/en/").content.decode()
    closing = html[html.index('id="closing-soon"') :]
    assert titles_in(closing) == ["Closing grant"]
    assert re.findall(r'<span class="status[^"]*">[^<]*</span>', closing) == [
        '<span class="status status-open">Open</span>'
    ]


def titles_in(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", t).strip()
        for t in re.findall(r'<h3 class="card-title">(.*?)</h3>', html, re.S)
    ]


def _query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(titles(response))


def test_search_page_query_count_does_not_grow_with_results(client, places):
    film = SectorFactory(slug="film")
    grant = ProgrammeTypeFactory(slug="grant")
    ProgrammeFactory(sectors=[film], types=[grant], locations=[places["almaty"]])
    # Each count after another page has brought the search index up to date (building it and
    # patching it in the new programmes, and re-placing them in an order, take different
    # queries, none of them per result).
    client.get("/en/programmes/")
    one = _query_count(client, "/en/programmes/?sector=film")
    for _ in range(25):
        ProgrammeFactory(sectors=[film], types=[grant], locations=[places["almaty"], places["aktau"]])
    client.get("/en/programmes/")
    twenty = _query_count(client, "/en/programmes/?sector=film")
    assert one[1] == 1
    assert twenty[1] == 20
    assert one[0] == twenty[0]


def test_programme_page_escapes_plain_text_and_sanitises_rich_text(client, tolqyn):
    tolqyn.summary_en = '<img src=x onerror="alert(1)"> <b>plain</b>'
    tolqyn.description_en = '<b>bold</b> <img src=x onerror="alert(1)">'
    tolqyn.save()
    html = client.get("/en/programmes/tolqyn-film-fund/").content.decode()
    assert "<img src=x" not in html
    # The summary is plain text: escaped as typed.
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &lt;b&gt;plain&lt;/b&gt;" in html
    # The description is rich text (Markdown): allowed tags stay, the rest is removed.
    assert '<div class="prose"><p><b>bold</b> </p></div>' in html


@pytest.mark.parametrize(
    ("language", "heading", "switcher"),
    [
        ("kk", "<h1>Бағдарлама іздеу</h1>", 'lang="kk" aria-current="true"'),
        ("ru", "<h1>Найти программы</h1>", 'lang="ru" aria-current="true"'),
        ("en", "<h1>Find programmes</h1>", 'lang="en" aria-current="true"'),
    ],
)
def test_interface_is_translated(client, db, language, heading, switcher):
    html = client.get(f"/{language}/programmes/").content.decode()
    assert f'<html lang="{language}">' in html
    assert heading in html
    assert switcher in html


def test_messages_about_bad_input_are_in_the_users_language(client, db):
    html = client.get("/ru/programmes/?amount_min=abc").content.decode()
    assert "Сумма поддержки (от): Введите число. Значение не учтено." in html


def test_unknown_address_under_a_language_is_a_404_in_that_language(client, db):
    response = client.get("/kk/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="kk">' in html
    assert 'href="/en/no-such-page/"' in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", "5\u00a0000\u00a0000\u00a0₸ дейін"),
        ("ru", "до 5\u00a0000\u00a0000\u00a0₸"),
        ("en", "up to 5,000,000\u00a0₸"),
    ],
)
def test_amounts_are_grouped_as_each_language_writes_them(client, db, language, expected):
    ProgrammeFactory(slug="grant", amount_max=Decimal(5_000_000))
    assert expected in client.get(f"/{language}/programmes/grant/").content.decode()


@pytest.mark.parametrize(
    ("language", "closes_on", "expected"),
    [
        ("kk", "2026-03-31", "Жабылады: 2026 жылғы 31 наурыз"),
        ("kk", "2026-12-22", "Жабылады: 2026 жылғы 22 желтоқсан"),
        ("ru", "2026-03-31", "Приём до 31 марта 2026 г."),
        ("ru", "2026-12-22", "Приём до 22 декабря 2026 г."),
        ("en", "2026-03-31", "Closes 31 March 2026"),
        ("en", "2026-12-22", "Closes 22 December 2026"),
    ],
)
def test_dates_are_written_as_each_language_writes_them(client, db, today, language, closes_on, expected):
    ProgrammeFactory(slug="grant", deadline_type="fixed", closes_on=closes_on)
    assert expected in client.get(f"/{language}/programmes/grant/").content.decode()


@pytest.mark.parametrize(
    ("language", "closes_on", "expected"),
    [
        ("en", "2026-03-19", "closes in 18 days"),
        ("kk", "2026-03-19", "18 күннен кейін жабылады"),
        ("ru", "2026-03-19", "закрывается через 18 дней"),
        ("ru", "2026-03-22", "закрывается через 21 день"),
        ("ru", "2026-03-23", "закрывается через 22 дня"),
        ("en", "2026-03-02", "closes in 1 day"),
        ("en", "2026-03-01", "closes today"),
        ("en", "2026-03-31", "closes in 30 days"),
    ],
)
def test_near_deadlines_say_how_many_days_are_left(client, db, today, language, closes_on, expected):
    ProgrammeFactory(slug="grant", title_en="Grant", deadline_type="fixed", closes_on=closes_on)
    marked = f'<strong class="closes-in">{expected}</strong>'
    detail = client.get(f"/{language}/programmes/grant/").content.decode()
    search = client.get(f"/{language}/programmes/").content.decode()
    home = client.get(f"/{language}/").content.decode()
    assert [page.count('class="closes-in"') for page in (detail, search, home)] == [1, 1, 1]
    assert marked in detail
    assert marked in search
    assert marked in home


@pytest.mark.parametrize(
    ("deadline", "opens_on", "closes_on"),
    [
        ("fixed", None, "2026-04-01"),  # 31 days: not near
        ("fixed", None, "2026-02-27"),  # closed
        ("fixed", "2026-03-05", "2026-03-10"),  # upcoming
        ("rolling", None, None),
    ],
)
def test_other_deadlines_do_not_count_days(client, db, today, deadline, opens_on, closes_on):
    ProgrammeFactory(slug="grant", deadline_type=deadline, opens_on=opens_on, closes_on=closes_on)
    assert "closes-in" not in client.get("/en/programmes/grant/").content.decode()
    assert (
        "closes-in"
        not in client.get("/en/programmes/?status=open&status=closed&status=upcoming").content.decode()
    )


def test_language_links_never_leave_the_site(rf, db):
    # A raw request path "//evil.example/en/…" (gunicorn passes it through) must not become a
    # protocol-relative link to another host.
    from django.utils import translation

    from programmes.context_processors import languages

    request = rf.get("/en/programmes/", {"q": "x"})
    request.path = request.path_info = "//evil.example/en/programmes/"
    with translation.override("en"):
        links = languages(request)["language_links"]
    assert [link["url"] for link in links] == ["/evil.example/en/programmes/?q=x"] * 3
    assert all(link["absolute_url"].startswith("http://testserver/") for link in links)


@pytest.mark.parametrize(
    ("query", "location"),
    [
        (
            "q=&type=loan&amount_min=&amount_max=5000&currency=kzt&closing_within=&sort=relevance",
            "/en/programmes/?type=loan&amount_max=5000&currency=kzt&sort=relevance",
        ),
        ("q=+&amount_min=&page=", "/en/programmes/"),
        ("sector=film&sector=&sector=music", "/en/programmes/?sector=film&sector=music"),
    ],
)
def test_search_form_addresses_lose_their_empty_parameters(client, db, query, location):
    response = client.get(f"/en/programmes/?{query}")
    assert response.status_code == 302
    assert response["Location"] == location
    assert client.get(location).status_code == 200


def test_search_without_empty_parameters_is_not_redirected(client, tolqyn):
    response = client.get("/en/programmes/?sector=film&q=fund")
    assert response.status_code == 200
    assert titles(response) == ["Tolqyn Film Fund"]


def test_search_page_offers_email_alerts_once(client, tolqyn):
    html = client.get("/en/programmes/").content.decode()
    assert titles_in(html) == ["Tolqyn Film Fund"]
    assert html.count("Email me new programmes like these") == 1
    assert html.count('href="/en/alerts/') == 1


def test_every_page_has_a_favicon_from_our_static_files(client, db):
    from django.contrib.staticfiles import finders

    html = client.get("/kk/").content.decode()
    assert '<link rel="icon" href="/static/programmes/favicon.svg" type="image/svg+xml">' in html
    assert Path(finders.find("programmes/favicon.svg")).read_text(encoding="utf-8").startswith("<svg ")


def test_place_facet_lists_regions_by_their_name_in_the_pages_language(client, db):
    from tests.factories import LocationFactory

    def place(slug, kk, ru, en, parent=None):
        kind = "city" if parent or slug == "almaty" else "region"
        return LocationFactory(slug=slug, kind=kind, parent=parent, name_kk=kk, name_ru=ru, name_en=en)

    east = place(
        "east-kazakhstan-region",
        "Шығыс Қазақстан облысы",
        "Восточно-Казахстанская область",
        "East Kazakhstan Region",
    )
    place("oskemen", "Өскемен", "Усть-Каменогорск", "Oskemen", parent=east)
    place("semey", "Семей", "Семей", "Semey", parent=east)
    place("almaty", "Алматы", "Алматы", "Almaty")
    place("kyzylorda-region", "Қызылорда облысы", "Кызылординская область", "Kyzylorda Region")
    place("abai-region", "Абай облысы", "Абайская область", "Abai Region")
    ProgrammeFactory(is_nationwide=True)

    def places(language):
        response = client.get(f"/{language}/programmes/")
        return [(o.name, o.depth) for g in response.context["facets"] if g.name == "city" for o in g.options]

    assert places("kk") == [
        ("Абай облысы", 0), ("Алматы", 0), ("Қызылорда облысы", 0),
        ("Шығыс Қазақстан облысы", 0), ("Өскемен", 1), ("Семей", 1),
    ]  # fmt: skip
    assert places("ru") == [
        ("Абайская область", 0), ("Алматы", 0), ("Восточно-Казахстанская область", 0),
        ("Семей", 1), ("Усть-Каменогорск", 1), ("Кызылординская область", 0),
    ]  # fmt: skip
    assert [name for name, _depth in places("en")] == [
        "Abai Region", "Almaty", "East Kazakhstan Region", "Oskemen", "Semey", "Kyzylorda Region",
    ]  # fmt: skip


def test_definition_labels_may_wrap_instead_of_a_fixed_column():
    from django.contrib.staticfiles import finders

    css = Path(finders.find("programmes/site.css")).read_text(encoding="utf-8")
    assert "grid-template-columns: 9rem 1fr" not in css
    assert (
        ".card-facts div, .facts div { display: grid; grid-template-columns: minmax(min-content, 9rem) "
        "minmax(0, 1fr); gap: .5rem; }"
    ) in css
