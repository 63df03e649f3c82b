"""Atom feeds, iCalendar files, sitemap.xml and robots.txt, validated by parsing them."""

import datetime
import re
import xml.etree.ElementTree as ET

import icalendar
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programmes.choices import PublicationState
from tests.factories import OrganisationFactory, ProgrammeFactory, ProgrammeTypeFactory, SectorFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ALMATY = datetime.timezone(datetime.timedelta(hours=5))


@pytest.fixture
def film(db):
    return {
        "film": SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино"),
        "music": SectorFactory(slug="music", name_en="Music", name_ru="Музыка", name_kk="Музыка"),
        "grant": ProgrammeTypeFactory(slug="grant", name_en="Grant", name_ru="Грант", name_kk="Грант"),
    }


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314  (the site's own responses, not untrusted input)


def published_on(day, **kwargs):
    with time_machine.travel(datetime.datetime(*day, 12, tzinfo=ALMATY), tick=False):
        return ProgrammeFactory(**kwargs)


# --- Atom -------------------------------------------------------------------------------------------


def test_search_feed_lists_the_searchs_programmes_newest_first(client, places, film, today):
    older = published_on(
        (2026, 1, 10), title_ru="Старый кинофонд", sectors=[film["film"]], is_nationwide=True
    )
    newer = published_on(
        (2026, 2, 20),
        title_ru="Новый кинофонд",
        summary_ru="Гранты на кино & анимацию",
        sectors=[film["film"]],
        locations=[places["almaty"]],
    )
    published_on((2026, 2, 25), title_ru="Музыка", sectors=[film["music"]], is_nationwide=True)
    published_on((2026, 2, 26), title_ru="Кино в Актау", sectors=[film["film"]], locations=[places["aktau"]])
    published_on((2026, 2, 27), title_ru="Черновик", sectors=[film["film"]], state=PublicationState.DRAFT)

    response = client.get("/ru/programmes/feed.atom?sector=film&city=almaty&page=2")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse_xml(response.content)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru"
    assert feed.findtext(f"{ATOM}title") == "Программы: Отрасль: Кино; Город или область: Алматы"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Новый кинофонд", "Старый кинофонд"]
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href") == f"http://testserver/ru/programmes/{newer.slug}/"
    assert first.findtext(f"{ATOM}id") == f"http://testserver/ru/programmes/{newer.slug}/"
    assert first.findtext(f"{ATOM}summary") == "Гранты на кино & анимацию"
    assert first.findtext(f"{ATOM}published") == "2026-02-20T07:00:00+00:00"  # noon in Almaty
    assert [c.get("term") for c in first.findall(f"{ATOM}category")] == ["Кино"]
    self_link = next(link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self")
    assert self_link.get("href") == "http://testserver/ru/programmes/feed.atom?sector=film&city=almaty"
    assert older.slug in entries[1].findtext(f"{ATOM}id")


def test_search_page_links_its_feed_and_calendar(client, film, today):
    html = client.get("/en/programmes/?sector=film&sort=title&page=1").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="New programmes for this search (Atom feed)" '
        'href="/en/programmes/feed.atom?sector=film">' in html
    )
    assert 'href="/en/programmes/calendar.ics?sector=film"' in html


def test_feed_with_bad_parameters_still_answers(client, film, today):
    response = client.get("/en/programmes/feed.atom?sector=nonsense&amount_min=abc&closing_within=-4")
    assert response.status_code == 200
    assert parse_xml(response.content).findtext(f"{ATOM}title") == "Programmes: All programmes"


# --- iCalendar -----------------------------------------------------------------------------------------


def test_programme_calendar_has_its_dates_as_all_day_events(client, today):
    long_summary = "Гранты для фильмов, сериалов; анимации, документального кино — " * 3
    programme = ProgrammeFactory(
        title_ru="Кинофонд, этап 2",
        summary_ru=long_summary,
        deadline_type="fixed",
        opens_on=datetime.date(2026, 3, 10),
        closes_on=datetime.date(2026, 4, 30),
    )
    response = client.get(f"/ru/programmes/{programme.slug}/calendar.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert raw.endswith(b"\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert "Кинофонд\\, этап 2".encode() in raw  # commas escaped

    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Almaty"
    events = calendar.walk("VEVENT")
    assert [(str(e["SUMMARY"]), e.decoded("DTSTART"), e.decoded("DTEND")) for e in events] == [
        ("Начало приёма заявок: Кинофонд, этап 2", datetime.date(2026, 3, 10), datetime.date(2026, 3, 11)),
        ("Срок подачи заявок: Кинофонд, этап 2", datetime.date(2026, 4, 30), datetime.date(2026, 5, 1)),
    ]
    url = f"http://testserver/ru/programmes/{programme.slug}/"
    assert [str(e["URL"]) for e in events] == [url, url]
    assert str(events[1]["DESCRIPTION"]) == f"{long_summary}\n\n{url}".strip()
    uids = [str(e["UID"]) for e in events]
    assert uids == [f"programme-{programme.pk}-opens@127.0.0.1", f"programme-{programme.pk}-closes@127.0.0.1"]

    # Stable: the same in another language and after the deadline moves.
    programme.closes_on = datetime.date(2026, 5, 15)
    programme.save()
    again = icalendar.Calendar.from_ical(client.get(f"/en/programmes/{programme.slug}/calendar.ics").content)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == uids
    assert again.walk("VEVENT")[1].decoded("DTSTART") == datetime.date(2026, 5, 15)


def test_programme_page_links_its_calendar_only_when_it_has_dates(client, today):
    dated = ProgrammeFactory(deadline_type="fixed", closes_on=datetime.date(2026, 4, 30))
    rolling = ProgrammeFactory()
    link = 'href="/en/programmes/{}/calendar.ics"'
    assert link.format(dated.slug) in client.get(f"/en/programmes/{dated.slug}/").content.decode()
    assert link.format(rolling.slug) not in client.get(f"/en/programmes/{rolling.slug}/").content.decode()
    assert client.get("/en/programmes/no-such-programme/calendar.ics").status_code == 404


def test_search_calendar_has_the_upcoming_deadlines_of_the_search(client, film, today):
    def fixed(title, closes_on, sector="film", **kwargs):
        return ProgrammeFactory(
            title_en=title, deadline_type="fixed", closes_on=closes_on, sectors=[film[sector]], **kwargs
        )

    fixed("Later", datetime.date(2026, 5, 1))
    fixed("Sooner", datetime.date(2026, 3, 20))
    fixed("Today", datetime.date(2026, 3, 1))
    fixed("Closed", datetime.date(2026, 2, 1))
    fixed("Music", datetime.date(2026, 3, 5), sector="music")
    fixed("Draft", datetime.date(2026, 3, 6), state=PublicationState.DRAFT)
    ProgrammeFactory(title_en="Rolling", sectors=[film["film"]])

    response = client.get("/en/programmes/calendar.ics?sector=film")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert [(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in calendar.walk("VEVENT")] == [
        ("Deadline: Today", datetime.date(2026, 3, 1)),
        ("Deadline: Sooner", datetime.date(2026, 3, 20)),
        ("Deadline: Later", datetime.date(2026, 5, 1)),
    ]
    assert 'filename="deadlines-en.ics"' in response["Content-Disposition"]


# --- sitemap.xml and robots.txt ------------------------------------------------------------------


def test_sitemap_lists_every_public_page_in_three_languages_with_alternates(client, today):
    organisation = OrganisationFactory(slug="tolqyn")
    OrganisationFactory(slug="no-public-programmes")
    first = ProgrammeFactory(slug="first", organisation=organisation)
    ProgrammeFactory(slug="second", organisation=organisation)
    draft = ProgrammeFactory(slug="draft", state=PublicationState.DRAFT)

    index = parse_xml(client.get("/sitemap.xml").content)
    sections = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert sections == [
        "http://testserver/sitemap-pages.xml",
        "http://testserver/sitemap-programmes.xml",
        "http://testserver/sitemap-organisations.xml",
    ]
    urls = {}
    for section in sections:
        document = parse_xml(client.get(section.removeprefix("http://testserver")).content)
        for url in document.findall(f"{SITEMAP}url"):
            alternates = {link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")}
            urls[url.findtext(f"{SITEMAP}loc")] = (url.findtext(f"{SITEMAP}lastmod"), alternates)

    paths = sorted(loc.removeprefix("http://testserver") for loc in urls)
    expected = [
        f"/{lang}/{page}"
        for lang in ("kk", "ru", "en")
        for page in ("", "programmes/", "programmes/first/", "programmes/second/", "organisations/tolqyn/")
    ]
    assert paths == sorted(expected)
    # The pages the sitemap leaves out do not exist.
    assert client.get("/en/organisations/no-public-programmes/").status_code == 404
    assert client.get(f"/en/organisations/{draft.organisation.slug}/").status_code == 404
    lastmod, alternates = urls["http://testserver/kk/programmes/first/"]
    assert lastmod == first.updated_at.date().isoformat()
    assert alternates == {
        "kk": "http://testserver/kk/programmes/first/",
        "ru": "http://testserver/ru/programmes/first/",
        "en": "http://testserver/en/programmes/first/",
        # Without a language prefix: LocaleMiddleware sends each visitor to their language.
        "x-default": "http://testserver/programmes/first/",
    }
    redirect = client.get("/programmes/first/", headers={"accept-language": "kk"})
    assert redirect["Location"] == "/kk/programmes/first/"


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_private_paths(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Disallow: /{settings.ADMIN_URL}" in lines
    for lang in ("kk", "ru", "en"):
        for path in ("programmes/export.", "programmes/feed.atom", "programmes/calendar.ics", "alerts/"):
            assert f"Disallow: /{lang}/{path}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert not any(re.match(r"Disallow: /(kk|ru|en)/programmes/$", line) for line in lines)


# --- Second round (#13) ---------------------------------------------------------------------------------


def test_feed_summaries_are_declared_plain_text(client, today):
    ProgrammeFactory(summary_en="<b>Bold</b> & <i>claims</i>")
    entry = parse_xml(client.get("/en/programmes/feed.atom").content).find(f"{ATOM}entry")
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "text"
    assert summary.text == "<b>Bold</b> & <i>claims</i>"  # shown as typed, never as markup


def test_organisations_with_only_drafts_are_never_named_in_public(client, today):
    from programmes.models import Alert

    hidden = OrganisationFactory(slug="secret-partner", name_en="Secret Partner")
    ProgrammeFactory(organisation=hidden, state=PublicationState.DRAFT)
    public = OrganisationFactory(slug="tolqyn", name_en="Tolqyn")
    ProgrammeFactory(organisation=public, title_en="Tolqyn grant")

    feed = parse_xml(client.get("/en/programmes/feed.atom?organisation=secret-partner").content)
    assert feed.findtext(f"{ATOM}title") == "Programmes: All programmes"
    page = client.get("/en/programmes/?organisation=secret-partner").content.decode()
    assert "Secret Partner" not in page
    alert_page = client.get("/en/alerts/?organisation=secret-partner&organisation=tolqyn").content.decode()
    assert "Secret Partner" not in alert_page
    assert "Organisation: Tolqyn" in alert_page
    assert not Alert.objects.exists()
    feed = parse_xml(client.get("/en/programmes/feed.atom?organisation=tolqyn").content)
    assert feed.findtext(f"{ATOM}title") == "Programmes: Organisation: Tolqyn"


def test_the_organisations_sitemap_dates_count_only_published_programmes(client, today):
    organisation = OrganisationFactory(slug="tolqyn")
    with time_machine.travel(datetime.datetime(2026, 1, 5, 12, tzinfo=ALMATY), tick=False):
        organisation.save()
        ProgrammeFactory(organisation=organisation)
    with time_machine.travel(datetime.datetime(2026, 2, 20, 12, tzinfo=ALMATY), tick=False):
        ProgrammeFactory(organisation=organisation, state=PublicationState.DRAFT)
    document = parse_xml(client.get("/sitemap-organisations.xml").content)
    assert [url.findtext(f"{SITEMAP}lastmod") for url in document.findall(f"{SITEMAP}url")] == [
        "2026-01-05"
    ] * 3


def test_robots_txt_never_names_a_moved_admin(client, settings):
    settings.ADMIN_URL = "back-office-7f3/"
    lines = client.get("/robots.txt").content.decode().splitlines()
    assert not any("back-office" in line or "admin" in line for line in lines)
    assert lines[:2] == ["User-agent: *", "Disallow: /kk/programmes/export."]


# --- Expensive anonymous pages: bounded, cached, throttled (#13) ---------------------------------------


def test_sitemap_sections_are_pages_of_a_bounded_size(client, today, monkeypatch):
    from programmes import sitemaps

    monkeypatch.setattr(sitemaps.ProgrammeSitemap, "limit", 6)  # URLs: two programmes a page
    for n in range(5):
        ProgrammeFactory(slug=f"p{n}")
    index = parse_xml(client.get("/sitemap.xml").content)
    assert [loc.text for loc in index.iter(f"{SITEMAP}loc")] == [
        "http://testserver/sitemap-pages.xml",
        "http://testserver/sitemap-programmes.xml",
        "http://testserver/sitemap-programmes.xml?p=2",
        "http://testserver/sitemap-programmes.xml?p=3",
        "http://testserver/sitemap-organisations.xml",
    ]
    pages = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            document = parse_xml(client.get(f"/sitemap-programmes.xml?p={page}").content)
        # Only the page's own programmes are read (Django's sitemap reads them all per page).
        reads = [q["sql"] for q in queries.captured_queries if '"slug"' in q["sql"]]
        assert len(reads) == 1
        assert reads[0].endswith({1: "LIMIT 2", 2: "LIMIT 2 OFFSET 2", 3: "LIMIT 1 OFFSET 4"}[page])
        pages.append(sorted(loc.text.split("/")[-2] for loc in document.iter(f"{SITEMAP}loc")))
    assert pages == [["p0"] * 3 + ["p1"] * 3, ["p2"] * 3 + ["p3"] * 3, ["p4"] * 3]
    assert sitemaps.OrganisationSitemap.limit == sitemaps.SECTION_SIZE
    assert sitemaps.SECTION_SIZE == 1500  # URLs a file: far below the protocol's 50,000


def test_sitemaps_are_built_once_per_change_of_the_directory(client, today, django_assert_num_queries):
    ProgrammeFactory(slug="first")
    built = client.get("/sitemap-programmes.xml")
    with django_assert_num_queries(2) as captured:  # each request reads the directory version only
        again = client.get("/sitemap-programmes.xml")
        client.get("/sitemap-programmes.xml?utm=1")  # other parameters make no other copy
    assert all("FROM programmes_directoryversion" in query["sql"] for query in captured.captured_queries)
    assert again.content == built.content
    assert again["Content-Type"] == built["Content-Type"] == "application/xml"
    assert again["X-Robots-Tag"] == built["X-Robots-Tag"]
    ProgrammeFactory(slug="second")  # any change: the next request builds it afresh
    document = parse_xml(client.get("/sitemap-programmes.xml").content)
    assert sorted({loc.text.split("/")[-2] for loc in document.iter(f"{SITEMAP}loc")}) == ["first", "second"]


def test_a_sitemap_being_built_by_another_process_is_not_built_again(client, today):
    from django.core.cache import cache

    from programmes import caching

    ProgrammeFactory(slug="first")
    key = f"generation:{caching.generation()}:sitemap:http://testserver/sitemap-programmes.xml?p="
    cache.set(f"{key}:building", 1)
    response = client.get("/sitemap-programmes.xml")
    assert (response.status_code, response["Retry-After"]) == (503, "10")
    cache.delete(f"{key}:building")
    assert client.get("/sitemap-programmes.xml").status_code == 200


def test_feeds_calendars_and_exports_are_cached_and_their_building_throttled(
    client, today, settings, django_assert_num_queries
):
    settings.EXPENSIVE_REQUESTS_PER_MINUTE = 3
    ProgrammeFactory(title_en="Film grant", deadline_type="fixed", closes_on=datetime.date(2026, 4, 1))
    export = client.get("/en/programmes/export.csv?q=film")
    with django_assert_num_queries(1) as captured:  # the directory version only
        cached = client.get("/en/programmes/export.csv?q=film&junk=1")
    assert "FROM programmes_directoryversion" in captured.captured_queries[0]["sql"]
    assert cached.content == export.content
    assert cached["Content-Disposition"] == 'attachment; filename="programmes-en.csv"'
    assert client.get("/en/programmes/feed.atom?q=film").status_code == 200
    assert client.get("/en/programmes/calendar.ics?q=film").status_code == 200
    # A fourth page built from many rows within the minute, from the same address: refused.
    refused = client.get("/en/programmes/feed.atom?q=grant")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.content.decode() == (
        "Too many feeds, calendars, downloads or sitemaps from your address. Please try again in a minute."
    )
    assert client.get("/en/programmes/export.csv?q=grant").status_code == 429
    assert client.get("/en/programmes/export.csv?q=film").status_code == 200  # from the cache
    assert client.get("/en/programmes/feed.atom?q=grant", REMOTE_ADDR="10.0.0.2").status_code == 200
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, 2, tzinfo=datetime.UTC), tick=False):
        assert client.get("/en/programmes/calendar.ics?q=grant").status_code == 200  # a minute later
