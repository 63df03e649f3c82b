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
    # Damu's three programmes (their titles match alike: open ones first, then by deadline and
    # title), then the UNDP one that names Damu as a partner in its text.
    damu = [
        "Damu interest-rate subsidies for creative businesses",
        "Damu loan guarantees for creative businesses",
        "Damu loans for creative businesses",
    ]
    assert result_titles(page) == [*damu, "Creative industries in the Kyzylorda and Mangystau regions"]
    assert page.locator("#result-count").inner_text() == "4 programmes found"
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
    # Case-insensitive: "Almaty annual" before "Almaty Creative".
    assert first_page[:3] == [
        "Almaty Animation Winter festival",
        "Almaty annual grant programme for small and medium creative businesses",
        "Almaty Creative master classes",
    ]
    assert page.locator(".pager [aria-current=page]").inner_text() == "Page 1 of 2"

    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**/en/programmes/?sort=title&page=2")
    assert result_titles(page) == ["Turkic Game Jam: the Almaty qualifier", "Women in STEM scholarships"]
    assert page.locator(".pager [aria-current=page]").inner_text() == "Page 2 of 2"
    assert page.locator("#results").get_attribute("start") == "21"

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
