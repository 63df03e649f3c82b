"""What a visitor does on the public site, in a real browser: search, filter, page, switch language,
open a programme. Every assertion is about what is on the screen or in the address bar."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import DESKTOP, PHONE, result_titles

# Every test here only reads the demo content, loaded once for the module (`demo`).
pytestmark = pytest.mark.browser


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def path(page) -> str:
    return urlsplit(page.url).path


# Default order without words: soonest deadline first; these have none, so by title.
FILM_EN = [
    "Creative Capital Fund: direct investment in Almaty's creative economy",
    "Tolqyn Film Fund: private investment in film projects",
]


# The demo programmes open, upcoming or undated on the frozen day (1 March 2026), all and in film.
ALL_COUNT = "45 programmes found"
FILM_COUNT = "12 programmes found"


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


# --- A phone: the filters from the top, the active ones as chips ----------------------------------


def in_first_screen(locator) -> bool:
    """Whether the element is on the phone's first screen, without scrolling."""
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_on_a_phone_the_filters_open_from_the_top_and_the_chips_and_count_stay_there(
    new_page, demo, javascript
):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=javascript)
    page.goto("/en/programmes/")
    count = page.locator("#result-count")
    assert count.inner_text() == ALL_COUNT
    assert in_first_screen(count)

    # "Filters" at the top is a link to the filter section (which comes after the results).
    jump = page.get_by_role("link", name="Filters", exact=True)
    assert in_first_screen(jump)
    assert page.locator("#filters").bounding_box()["y"] > 3 * PHONE["height"]
    jump.tap()
    page.wait_for_url("**/en/programmes/#filters")
    assert in_first_screen(page.get_by_role("heading", name="Filters", exact=True))

    filters = page.get_by_role("complementary")
    filters.get_by_role("group", name="Sector").get_by_label("Film").tap()
    filters.get_by_role("button", name="Apply filters").tap()
    page.wait_for_url("**/en/programmes/?*sector=film*")
    assert query(page)["sector"] == ["film"]

    # Back at the top: the count, the jump to the filters (saying one is active) and the chip.
    assert count.inner_text() == FILM_COUNT
    assert in_first_screen(count)
    assert in_first_screen(page.get_by_role("link", name="Filters (1)"))
    # The statuses the form ticks by default are not chips; the sector is.
    chips = [" ".join(text.split()) for text in page.locator(".chip").all_inner_texts()]
    assert chips == ["Remove: Sector: Film ×"]
    chip = page.get_by_role("link", name="Remove: Sector: Film")
    assert in_first_screen(chip)
    assert in_first_screen(page.get_by_role("link", name="Clear all").first)

    chip.tap()
    page.wait_for_url(lambda url: "sector" not in url)
    assert "sector" not in query(page)
    assert count.inner_text() == ALL_COUNT
    assert page.locator(".chip").count() == 0


def test_checkboxes_chips_and_the_filters_jump_are_big_enough_to_tap(new_page, demo):
    # WCAG 2.5.8: targets at least 24 × 24 CSS pixels, measured as the browser lays them out.
    for viewport in (PHONE, DESKTOP):
        page = new_page(viewport=viewport)
        page.goto("/en/programmes/?sector=film&amount_max=10000000")
        boxes = page.eval_on_selector_all(
            "#filters input[type=checkbox], .chip, .filters-link",
            "els => els.filter(el => el.getClientRects().length)"
            "  .map(el => [el.name || el.className, el.getBoundingClientRect().width, el.getBoundingClientRect().height])",
        )
        checkboxes = [box for box in boxes if box[0] not in {"chip", "filters-link button secondary"}]
        assert len(checkboxes) == 25  # 4 statuses, the amount option, 20 facet values
        assert {name for name, _w, _h in boxes} >= {"chip", "sector", "status", "amount_unstated"}
        if viewport is PHONE:
            assert "filters-link button secondary" in {name for name, _w, _h in boxes}
        small = [box for box in boxes if box[1] < 24 or box[2] < 24]
        assert small == [], small
