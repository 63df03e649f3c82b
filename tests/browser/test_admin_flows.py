"""Staff in a real browser: signing in, and importing a spreadsheet through preview and confirm."""

import datetime
import io

import openpyxl
import pytest
from django.contrib.auth.models import User

from programmes.choices import DeadlineType
from programmes.imports import columns
from programmes.models import ProblemReport, Programme
from tests.factories import OrganisationFactory, ProgrammeFactory, ProgrammeTypeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def staff():
    return User.objects.create_superuser("aigerim", "aigerim@example.com", "correct horse battery")


def sign_in(page, password="correct horse battery"):
    page.goto("/admin/")
    page.get_by_label("Username").fill("aigerim")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_admin_sign_in_refuses_a_wrong_password_and_accepts_the_right_one(page, staff):
    page.goto("/admin/")
    page.wait_for_url("**/admin/login/?next=/admin/")
    sign_in(page, password="wrong")
    assert "Please enter the correct username and password for a staff account." in (
        page.locator(".errornote").inner_text()
    )
    sign_in(page)
    page.wait_for_url("**/admin/")
    assert page.get_by_role("heading", level=1).inner_text() == "Directory administration"
    assert page.locator("#site-name").inner_text() == "Creative Funding KZ: staff"
    assert page.locator("#user-tools strong").inner_text() == "AIGERIM"


def spreadsheet(rows: list[dict[str, str]]) -> bytes:
    """An XLSX file with the import template's columns (programmes/imports/columns.py)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(columns.COLUMNS)
    for row in rows:
        sheet.append([row.get(column, "") for column in columns.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_admin_import_through_preview_and_confirm(page, staff, own_demo):
    content = spreadsheet(
        [
            {
                "slug": "shymkent-crafts-grant",
                "title_en": "Shymkent crafts grant",
                "title_ru": "Грант для ремёсел Шымкента",
                "organisation": "almaty-creative",
                "types": "Грант",
                "sectors": "crafts; Дизайн",
                "amount_max": "3 000 000",
                "deadline_type": "fixed",
                "closes_on": "30.04.2026",
                "state": "published",
            }
        ]
    )
    sign_in(page)
    page.goto("/admin/programmes/programme/")
    page.get_by_role("link", name="Import", exact=True).click()
    page.wait_for_url("**/admin/programmes/programme/import/")
    page.get_by_label("File to import").set_input_files(
        {
            "name": "new-programmes.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": content,
        }
    )
    page.get_by_label("Format").select_option(label="xlsx")
    page.get_by_role("button", name="Submit").click()

    assert page.locator("#import-summary").inner_text().splitlines() == [
        "New programmes: 1",
        "Updated programmes: 0",
        "Unchanged (skipped): 0",
        "Rows with errors: 0",
    ]
    assert not Programme.objects.filter(slug="shymkent-crafts-grant").exists()  # nothing saved yet

    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_url("**/admin/programmes/programme/")
    assert "Import finished: 1 new, 0 updated, 0 unchanged." in page.locator(".messagelist").inner_text()
    assert page.locator("#result_list").get_by_role("link", name="Shymkent crafts grant").is_visible()

    programme = Programme.objects.get(slug="shymkent-crafts-grant")
    assert (programme.organisation.slug, programme.amount_max) == ("almaty-creative", 3_000_000)
    assert sorted(s.slug for s in programme.sectors.all()) == ["crafts", "design"]

    # And the public finds it.
    page.goto("/en/programmes/?q=Shymkent")
    assert page.locator("#results .card-title").all_inner_texts() == ["Shymkent crafts grant"]


# --- Language tabs and the review queue (#17 items 9 and 13) ----------------------------------------

# Records every Content Security Policy violation the page meets, for the test to read.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def watch(page) -> list[str]:
    """Console errors and uncaught exceptions of the page, as they happen."""
    problems: list[str] = []
    page.add_init_script(CSP_WATCH)
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_admin_language_tabs_keep_each_language_in_its_own_field(page, staff):
    programme = ProgrammeFactory(
        title_en="Film grant",
        title_ru="Грант для кино",
        title_kk="Кино гранты",
        types=[ProgrammeTypeFactory()],
    )
    problems = watch(page)
    sign_in(page)
    page.goto(f"/admin/programmes/programme/{programme.pk}/change/")

    # Tabs, not three fields called "Title": kk, ru, en above the title, one field shown at a time.
    tabs = page.locator("#tab_id_title_kk").locator("xpath=..").get_by_role("tab")
    assert tabs.all_inner_texts() == ["KK", "RU", "EN"]  # upper-cased by modeltranslation's CSS
    for language, text in [
        ("kk", "Кино гранты 2026"),
        ("ru", "Грант для кино 2026"),
        ("en", "Film grant 2026"),
    ]:
        page.get_by_role("tab", name=language.upper()).first.click()
        field = page.locator(f"#id_title_{language}")
        assert field.is_visible()
        assert [page.locator(f"#id_title_{other}").is_visible() for other in ("kk", "ru", "en")] == [
            other == language for other in ("kk", "ru", "en")
        ]
        field.fill(text)
    # The menu that switches every tab at once has a name for screen readers.
    page.get_by_role("combobox", name="Language of every tab").select_option(label="kk")
    assert [page.locator(f"#id_summary_{code}").is_visible() for code in ("kk", "ru", "en")] == [
        True,
        False,
        False,
    ]
    # The label names the language, in the staff member's language, beside the tab as well.
    assert page.locator("label[for=id_title_kk]").inner_text() == "Title (in Kazakh):"
    page.get_by_role("button", name="Save", exact=True).first.click()
    page.wait_for_url("**/admin/programmes/programme/")

    programme.refresh_from_db()
    assert (programme.title_kk, programme.title_ru, programme.title_en) == (
        "Кино гранты 2026",
        "Грант для кино 2026",
        "Film grant 2026",
    )
    assert problems == []
    assert page.evaluate("window.__cspViolations") == []


def test_review_queue_fits_1280_pixels_without_scrolling_sideways(page, staff, frozen_today):
    organisation = OrganisationFactory(
        name_en="Ministry of Culture and Information of the Republic of Kazakhstan"
    )
    for number in range(3):
        programme = ProgrammeFactory(
            title_en=f"Support for independent documentary film production in the regions, round {number}",
            organisation=organisation,
            deadline_type=DeadlineType.FIXED,
            closes_on=datetime.date(2026, 1, 31),
            apply_url=f"https://example.kz/apply/{number}",
            source_url=f"https://example.kz/source/{number}",
        )
        Programme.objects.filter(pk=programme.pk).update(apply_url_result="404", source_url_result="timeout")
        ProblemReport.objects.create(programme=programme, message="The deadline is wrong.", language="ru")
    problems = watch(page)
    sign_in(page)
    page.goto("/admin/programmes/programmetoreview/")

    assert page.locator("#result_list tbody tr").count() == 3
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, window: window.innerWidth,"
        " results: document.querySelector('.results').scrollWidth,"
        " resultsBox: document.querySelector('.results').clientWidth})"
    )
    assert widths["page"] <= widths["window"] == 1280
    assert widths["results"] <= widths["resultsBox"]
    # Every column is on screen, the reasons and the button included.
    for cell in (
        "th.column-programme_link",
        "th.column-reasons",
        "th.column-verified",
        "th.column-verify_button",
    ):
        box = page.locator(cell).bounding_box()
        assert box["x"] + box["width"] <= 1280, cell
    first = page.locator("#result_list tbody tr").first
    assert first.locator("td.field-programme_link").inner_text().splitlines() == [
        "Support for independent documentary film production in the regions, round 0",
        "Ministry of Culture and Information of the Republic of Kazakhstan",
    ]
    first_reasons = first.locator("td.field-reasons")
    assert first_reasons.locator("li").all_inner_texts() == [
        "Not verified recently",
        "Closing date has passed",
        "Broken link (application link: 404, source: timeout)",
        "Problem reported by a visitor (read the reports)",
    ]
    assert problems == []
    # A link inside a reason's text is underlined, not told apart by colour alone.
    link = first_reasons.get_by_role("link", name="read the reports")
    assert link.evaluate("a => getComputedStyle(a).textDecorationLine") == "underline"
