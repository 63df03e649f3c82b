"""Staff in a real browser: signing in, and importing a spreadsheet through preview and confirm."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import User

from programmes import resources
from programmes.models import Programme

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
    assert page.get_by_role("heading", level=1).inner_text() == "Site administration"
    assert page.locator("#user-tools strong").inner_text() == "AIGERIM"


def spreadsheet(rows: list[dict[str, str]]) -> bytes:
    """An XLSX file with the import template's columns (programmes/resources.py)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(resources.COLUMNS)
    for row in rows:
        sheet.append([row.get(column, "") for column in resources.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_admin_import_through_preview_and_confirm(page, staff, demo):
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
