"""What a visitor does on the public site, in a real browser: search, filter, page, switch language,
open a programme. Every assertion is about what is on the screen or in the address bar."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import result_titles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def path(page) -> str:
    return urlsplit(page.url).path


# Default order without words: soonest deadline first; these have none, so by title.
FILM_EN = [
    "Creative Capital Fund: direct investment in Almaty's creative economy",
    "Tolqyn Film Fund: private investment in film projects",
]


def test_typing_a_word_on_the_home_page_and_submitting_lists_the_matches(page, demo):
    page.goto("/en/")
    page.get_by_label("What are you looking for?").fill("Damu")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/en/programmes/?q=Damu")
    assert page.get_by_role("heading", level=1).inner_text() == "Find programmes"
    assert page.get_by_label("Search words").input_value() == "Damu"
    # The three programmes with Damu in their titles and the UNDP one ("Даму", development, in
    # its texts; PostgreSQL finds "дамыту" in its Kazakh title too), then those that name Damu in
    # their texts, each group in the engine's order (PostgreSQL ranks the texts, SQLite counts
    # title matches only).
    damu = [
        "Creative industries in the Kyzylorda and Mangystau regions",
        "Damu interest-rate subsidies for creative businesses",
        "Damu loan guarantees for creative businesses",
        "Damu loans for creative businesses",
    ]
    found = result_titles(page)
    assert sorted(found[:4]) == damu
    assert sorted(found[4:]) == [
        "Interest subsidies for social enterprises",
        "Isker Aimak: interest-rate subsidies on small-business loans",
        "Single comprehensive programme: subsidies and guarantees for micro and small businesses",
    ]
    assert page.locator("#result-count").inner_text() == "7 programmes found"
    # The word is highlighted in the titles.
    assert page.locator("#results .card-title mark").first.inner_text() == "Damu"


def test_ticking_filters_submits_with_the_button_without_javascript(new_page, demo):
    page = new_page(java_script_enabled=False)
    page.goto("/en/programmes/")
    filters = page.get_by_role("complementary")
    filters.get_by_role("group", name="Sector").get_by_label("Film").check()
    filters.get_by_role("group", name="Type").get_by_label("Investment fund").check()
    filters.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/en/programmes/?*")
    assert query(page)["sector"] == ["film"]
    assert query(page)["type"] == ["investment-fund"]
    assert result_titles(page) == FILM_EN
    assert page.locator("#result-count").inner_text() == "2 programmes found"
    # The ticked boxes stay ticked on the results page.
    assert filters.get_by_role("group", name="Sector").get_by_label("Film").is_checked()


def test_next_and_previous_page(page, demo):
    page.goto("/en/programmes/?sort=title")
    first_page = result_titles(page)
    assert len(first_page) == 20
    # Case-insensitive: "Almaty annual" before "Almaty Business" before "Almaty Creative".
    assert first_page[:5] == [
        "Almaty Animation Festival",
        "Almaty Animation Winter festival",
        "Almaty annual grant programme for small and medium creative businesses",
        "Almaty Business: low-rate loans for Almaty small and medium businesses",
        "Almaty Creative master classes",
    ]
    # 45 of the 58 published programmes: the closed ones are not shown by default.
    assert page.locator(".pager [aria-current=page]").inner_text() == "Page 1 of 3"

    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**/en/programmes/?sort=title&page=2")
    second_page = result_titles(page)
    assert (len(second_page), second_page[0]) == (
        20,
        "DAAD study scholarships in fine art, design, film and music",
    )
    assert page.locator(".pager [aria-current=page]").inner_text() == "Page 2 of 3"
    assert page.locator("#results").get_attribute("start") == "21"
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**/en/programmes/?sort=title&page=3")
    assert result_titles(page)[-2:] == [
        "Women in STEM scholarships",
        "YEMAA Artist Residence for young artists in Atyrau",
    ]
    page.get_by_role("link", name="Previous").click()
    page.wait_for_url("**/en/programmes/?sort=title&page=2")
    assert result_titles(page) == second_page

    page.get_by_role("link", name="Previous").click()
    page.wait_for_url("**/en/programmes/?sort=title&page=1")
    assert result_titles(page) == first_page


def test_switching_language_keeps_the_search(page, demo):
    page.goto("/en/programmes/?q=film&sector=film&type=investment-fund")
    assert result_titles(page) == [FILM_EN[1], FILM_EN[0]]

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Русский").click()
    page.wait_for_url("**/ru/programmes/?*")
    assert path(page) == "/ru/programmes/"
    assert query(page) == {"q": ["film"], "sector": ["film"], "type": ["investment-fund"]}
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_role("heading", level=1).inner_text() == "Найти программы"
    assert page.get_by_label("Ключевые слова").input_value() == "film"
    assert result_titles(page) == [
        "Tolqyn Film Fund: частные инвестиции в кинопроекты",
        "Creative Capital Fund: прямые инвестиции в креативную экономику Алматы",
    ]

    page.get_by_role("navigation", name="Язык").get_by_role("link", name="Қазақ").click()
    page.wait_for_url("**/kk/programmes/?*")
    assert query(page) == {"q": ["film"], "sector": ["film"], "type": ["investment-fund"]}
    assert page.get_by_role("heading", level=1).inner_text() == "Бағдарлама іздеу"


def test_opening_a_programme_from_the_results(page, demo):
    page.goto("/en/programmes/?sector=film&type=investment-fund")
    page.locator("#results").get_by_role("link", name=FILM_EN[1]).click()
    page.wait_for_url("**/en/programmes/tolqyn-film-fund-investments/")
    assert page.get_by_role("heading", level=1).inner_text() == FILM_EN[1]
    assert page.locator(".org-line").inner_text() == "Offered by Tolqyn Film Fund OEIC Ltd."
    assert page.get_by_role("heading", level=2).all_inner_texts()[:4] == [
        "What you get",
        "Who can apply",
        "Deadlines",
        "How to apply",
    ]
