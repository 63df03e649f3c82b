"""The open directory in a real browser: the widget inside a partner's page on another origin
(a second local port), our other pages refusing to be framed there, and axe on the widget, the
embed page and "Can I apply?" in every language."""

import datetime
import functools
import http.server
import threading

import pytest

from programmes.choices import DeadlineType
from tests import factories
from tests.browser.test_accessibility import blocking_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def open_film(transactional_db, frozen_today):
    """Two film programmes open in Almaty on 1 March 2026 (none of the demo's is open then)."""
    film = factories.SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино")
    almaty = factories.LocationFactory(slug="almaty", name_en="Almaty", name_ru="Алматы", name_kk="Алматы")
    grant = factories.ProgrammeTypeFactory(slug="grant", name_en="Grant", name_ru="Грант", name_kk="Грант")
    sole = factories.ApplicantKindFactory(slug="sole-proprietor", name_en="Sole proprietor")
    factories.ProgrammeFactory(
        slug="almaty-film-grant",
        title_en="Almaty Film Grant",
        title_kk="Алматы кино гранты",
        sectors=[film],
        locations=[almaty],
        types=[grant],
        applicant_kinds=[sole],
        deadline_type=DeadlineType.FIXED,
        opens_on=datetime.date(2026, 2, 1),
        closes_on=datetime.date(2026, 3, 31),
    )
    factories.ProgrammeFactory(
        slug="nationwide-film-fund",
        title_en="Nationwide Film Fund",
        title_kk="Республикалық кино қоры",
        sectors=[film],
        is_nationwide=True,
        types=[grant],
        applicant_kinds=[sole],
    )


@pytest.fixture
def partner_site(tmp_path, live_server):
    """A partner's page served from another origin (127.0.0.1 on a port of its own; the live
    server is localhost on another): one iframe with the widget, one with our home page."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Partner</title></head><body>"
        "<h1>A partner's page</h1>"
        f"<iframe id='widget' src='{live_server.url}/widget/?sector=film&amp;city=almaty&amp;lang=kk' "
        "title='Open programmes' width='600' height='500'></iframe>"
        f"<iframe id='ours' src='{live_server.url}/en/' title='Home' width='600' height='300'></iframe>"
        "</body></html>",
        encoding="utf-8",
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


def _link_titles(frame) -> list[str]:
    # The title without the visually hidden "(opens in a new tab)".
    return frame.locator(".card-title a").evaluate_all(
        "links => links.map(a => a.firstChild.textContent.trim())"
    )


def test_widget_shows_its_programmes_inside_a_page_on_another_origin(page, open_film, partner_site):
    page.goto(partner_site)
    widget = page.frame_locator("#widget")
    widget.locator("h1").wait_for()
    assert widget.locator("h1").inner_text() == "Ашық бағдарламалар: Кино, Алматы"
    assert _link_titles(widget) == ["Алматы кино гранты", "Республикалық кино қоры"]
    assert widget.locator(".card-title a").first.get_attribute("target") == "_blank"

    # Our home page refuses to be shown there (X-Frame-Options DENY, frame-ancestors 'none'):
    # the frame holds the browser's error page, none of ours.
    ours = page.frame_locator("#ours")
    page.wait_for_load_state("load")
    assert ours.locator("text=Find funding and support").count() == 0
    assert ours.locator(".site-header").count() == 0
    frame = next(f for f in page.frames if f.parent_frame is not None and "/widget/" not in f.url)
    assert not frame.url.startswith(page.url.split("/index.html")[0])
    assert frame.url in ("chrome-error://chromewebdata/", "about:blank")


def test_embed_page_previews_the_widget_it_describes(page, open_film):
    page.goto("/en/embed/")
    page.get_by_label("Creative field").select_option("film")
    page.get_by_label("City or region").select_option("almaty")
    page.get_by_label("Language of the list").select_option("en")
    page.get_by_role("button", name="Show the snippet").click()
    page.wait_for_url("**/en/embed/?sector=film&city=almaty&lang=en")
    snippet = page.get_by_label("HTML snippet").input_value()
    assert snippet.startswith('<iframe src="http://localhost:')
    assert "/widget/?sector=film&amp;city=almaty&amp;lang=en" in snippet
    preview = page.frame_locator(".embed-preview")
    preview.locator("h1").wait_for()
    assert _link_titles(preview) == ["Almaty Film Grant", "Nationwide Film Fund"]


def test_helper_works_without_javascript_and_leads_to_the_search(new_page, open_film):
    page = new_page(java_script_enabled=False)
    page.goto("/en/can-i-apply/")
    page.get_by_label("A sole proprietor").check()
    page.get_by_label("Where are you based?").select_option("almaty")
    page.get_by_label("What is your creative field?").select_option("film")
    page.get_by_label("Money as a grant").check()
    page.get_by_role("button", name="Show what fits").click()
    page.wait_for_url("**/en/can-i-apply/?*need=grant*")
    assert page.locator("#open-suggestions .why").all_inner_texts() == [
        "open to sole proprietors; available in Almaty; for film; offers: grant",
        "open to sole proprietors; available everywhere in Kazakhstan; for film; offers: grant",
    ]
    page.get_by_role("link", name="See these on the search page").click()
    page.wait_for_url("**/en/programmes/?applicant=sole-proprietor&city=almaty&sector=film&type=grant")
    assert page.locator("#results .card-title").all_inner_texts() == [
        "Almaty Film Grant",
        "Nationwide Film Fund",
    ]


PAGES = {
    "widget": "/widget/?sector=film&city=almaty&lang={lang}",
    "empty widget": "/widget/?sector=music&lang={lang}",
    "embed": "/{lang}/embed/?sector=film&city=almaty&lang={lang}",
    "helper": "/{lang}/can-i-apply/",
    "helper with answers": "/{lang}/can-i-apply/?applicant=sole-proprietor&city=almaty&sector=film&need=grant",
    "helper with a bad answer": "/{lang}/can-i-apply/?city=nowhere",
    "open data": "/{lang}/open-data/",
}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_no_serious_or_critical_axe_violations(new_page, open_film, lang):
    page = new_page(locale=lang, bypass_csp=True)
    report = {}
    for name, url in PAGES.items():
        response = page.goto(url.format(lang=lang))
        assert response.status == 200, name
        assert page.locator("html").get_attribute("lang") == lang
        violations = blocking_violations(page)
        if violations:
            report[f"{name} ({url.format(lang=lang)})"] = violations
    assert not report, "\n\n".join(f"{name}:\n" + "\n".join(v) for name, v in report.items())
