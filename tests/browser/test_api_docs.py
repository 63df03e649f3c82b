"""The API's documentation page (/api/v1/docs/) in a real browser: Swagger UI from our own
static files, working under the site's Content Security Policy as it is (no inline script or
style allowed), and able to call the API."""

import pytest

pytestmark = pytest.mark.browser


def test_api_docs_run_under_the_sites_csp_and_call_the_api(page, transactional_db, frozen_today):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/api/v1/docs/")
    page.locator(".opblock-summary", has_text="/api/v1/programmes/").first.click()
    assert page.locator(".opblock-summary-path").all_inner_texts() == [
        "/api/v1/applicant-kinds/",
        "/api/v1/business-sizes/",
        "/api/v1/places/",
        "/api/v1/sectors/",
        "/api/v1/types/",
        "/api/v1/organisations/",
        "/api/v1/programmes/",
        "/api/v1/programmes/{slug}/",
    ]
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    body = page.locator(".live-responses-table .response-col_description pre").first
    body.wait_for()
    assert '"count": 0' in body.inner_text()
    # Nothing refused by the policy (a refusal is a console error), nothing from another site.
    assert problems == []
    base = page.url.split("/api/")[0]
    assert [url for url in requested if not url.startswith(base)] == []
