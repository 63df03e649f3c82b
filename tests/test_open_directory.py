"""The open directory (#16 items 4–6): the embeddable widget and its page, "Can I apply?", and
the open-data downloads with their data dictionary."""

import csv
import datetime
import gzip
import hashlib
import io
import json
import re
import uuid
import zoneinfo
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from programmes import helper, opendata, opendata_columns, versioning
from programmes.choices import DeadlineType, PublicationState
from programmes.models import OpenDataFile
from tests import factories
from tests.conftest import titles
from tests.test_fuzz import FUZZ, PARAMETERS, RAW_PIECES, assert_sound, values

pytestmark = pytest.mark.django_db
ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


@pytest.fixture
def catalogue(places, today):
    """On 1 March 2026: open, upcoming, closed and draft programmes in film and music, in Almaty,
    Aktau and nationwide."""
    film = factories.SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино")
    music = factories.SectorFactory(slug="music", name_en="Music")
    grant = factories.ProgrammeTypeFactory(slug="grant", name_en="Grant", name_ru="Грант", name_kk="Грант")
    loan = factories.ProgrammeTypeFactory(slug="loan", name_en="Loan")
    hub = factories.ProgrammeTypeFactory(
        slug="creative-hub", name_en="Creative hub", name_ru="Креативный хаб"
    )
    sole = factories.ApplicantKindFactory(slug="sole-proprietor", name_en="Sole proprietor")
    person = factories.ApplicantKindFactory(slug="individual", name_en="Individual")
    organisation = factories.OrganisationFactory(slug="almaty-creative", name_en="Almaty Creative")
    fixed = {"deadline_type": DeadlineType.FIXED}
    made = {
        "almaty_grant": factories.ProgrammeFactory(
            slug="almaty-film-grant",
            title_en="Almaty Film Grant",
            title_ru="Алматинский киногрант",
            organisation=organisation,
            sectors=[film],
            locations=[places["almaty"]],
            types=[grant],
            applicant_kinds=[sole, person],
            opens_on=datetime.date(2026, 2, 1),
            closes_on=datetime.date(2026, 3, 31),
            amount_max=Decimal("5000000"),
            **fixed,
        ),
        "nationwide_loan": factories.ProgrammeFactory(
            slug="nationwide-film-loan",
            title_en="Nationwide Film Loan",
            sectors=[film],
            is_nationwide=True,
            types=[loan],
            applicant_kinds=[sole],
        ),
        "aktau_grant": factories.ProgrammeFactory(
            slug="aktau-film-grant",
            title_en="Aktau Film Grant",
            sectors=[film],
            locations=[places["aktau"]],
            types=[grant],
            applicant_kinds=[sole],
        ),
        "music_grant": factories.ProgrammeFactory(
            slug="almaty-music-grant",
            title_en="Almaty Music Grant",
            sectors=[music],
            locations=[places["almaty"]],
            types=[grant],
            applicant_kinds=[sole],
        ),
        "upcoming_grant": factories.ProgrammeFactory(
            slug="upcoming-film-grant",
            title_en="Upcoming Film Grant",
            sectors=[film],
            locations=[places["almaty"]],
            types=[grant],
            applicant_kinds=[sole],
            opens_on=datetime.date(2026, 4, 1),
            closes_on=datetime.date(2026, 5, 1),
            **fixed,
        ),
        "closed_grant": factories.ProgrammeFactory(
            slug="closed-film-grant",
            title_en="Closed Film Grant",
            sectors=[film],
            locations=[places["almaty"]],
            types=[grant],
            applicant_kinds=[sole],
            closes_on=datetime.date(2026, 2, 1),
            **fixed,
        ),
        "draft_grant": factories.ProgrammeFactory(
            slug="draft-film-grant",
            title_en="Draft Film Grant",
            sectors=[film],
            locations=[places["almaty"]],
            types=[grant],
            applicant_kinds=[sole],
            state=PublicationState.DRAFT,
        ),
        "hub": factories.ProgrammeFactory(
            slug="almaty-hub",
            title_en="Almaty Hub",
            locations=[places["almaty"]],
            types=[hub],
        ),
    }
    factories.ProgrammeSourceFactory(
        programme=made["almaty_grant"],
        url="https://news.example.kz/almaty-film",
        publisher="Example News",
        title="Film grants | Almaty",
        published_on=datetime.date(2026, 2, 1),
        accessed_on=datetime.date(2026, 3, 1),
    )
    factories.ProgrammeSourceFactory(
        programme=made["almaty_grant"],
        url="",
        publisher="Kazakhstanskaya Pravda",
        title="",
        published_on=datetime.date(2026, 1, 15),
        accessed_on=datetime.date(2026, 3, 1),
    )
    return made


# --- The widget --------------------------------------------------------------------------------------


def widget_titles(response) -> list[str]:
    html = response.content.decode()
    return [
        re.sub(r"\s+", " ", title).strip()
        for title in re.findall(r'<h2 class="card-title"><a [^>]*>(.*?)<span', html, re.S)
    ]


@pytest.mark.parametrize(
    "query",
    [
        "sector=film&city=almaty",
        "sector=film",
        "city=mangystau-region",
        "type=grant",
        "",
        "sector=film&sort=title",
        "sector=film&sector=nonsense&amount_min=abc",
    ],
)
def test_widget_lists_the_search_pages_open_programmes_for_the_same_parameters(client, catalogue, query):
    widget = client.get(f"/widget/?{query}&lang=en")
    search = client.get(f"/en/programmes/?{query}&status=open")
    assert widget_titles(widget) == titles(search)


def test_widget_lists_open_film_programmes_in_almaty_soonest_deadline_first(client, catalogue):
    response = client.get("/widget/?sector=film&city=almaty&lang=en")
    # Not the Aktau or music grants, nor the upcoming, closed or draft ones.
    assert widget_titles(response) == ["Almaty Film Grant", "Nationwide Film Loan"]
    html = response.content.decode()
    assert "<h1>Open programmes for Film in Almaty\n</h1>" in html
    assert "2 programmes are open now." in html


def test_widget_speaks_the_asked_language_and_links_back_in_a_new_tab(client, catalogue):
    response = client.get("/widget/?sector=film&city=almaty&lang=kk", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="kk">' in html
    links = re.findall(r'<a href="([^"]+)" target="_blank" rel="noopener"', html)
    assert links == [
        "/kk/programmes/almaty-film-grant/",
        "/kk/programmes/nationwide-film-loan/",
        "http://testserver/kk/programmes/?sector=film&amp;city=almaty&amp;status=open",
    ]
    # Every link of the page opens in a new tab (none replaces the partner's page).
    assert html.count("<a ") == 3


def test_widget_without_a_language_follows_the_browser_never_the_cookie(client, catalogue):
    response = client.get("/widget/?sector=film", HTTP_ACCEPT_LANGUAGE="ru")
    assert '<html lang="ru">' in response.content.decode()
    assert (response["Content-Language"], response["Vary"]) == ("ru", "Accept-Language")
    # The site's language cookie (a visitor of ours, inside a partner's frame) is not read: a copy
    # cached for it would be served to the next visitor with the same Accept-Language.
    client.cookies["django_language"] = "kk"
    for accept, language in (("en", "en"), ("ru", "ru")):
        response = client.get("/widget/?sector=film", HTTP_ACCEPT_LANGUAGE=accept)
        assert f'<html lang="{language}">' in response.content.decode()
        assert response["Content-Language"] == language
    response = client.get("/widget/?sector=film&lang=en", HTTP_ACCEPT_LANGUAGE="ru")
    assert (response["Content-Language"], '<html lang="en">' in response.content.decode()) == ("en", True)


def test_widget_may_be_framed_by_any_site_and_sets_no_cookie(client, catalogue):
    for _ in range(2):  # built, then served from the cache
        response = client.get("/widget/?sector=film&lang=ru")
        assert "frame-ancestors *" in response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" not in response["Content-Security-Policy"]
        assert not response.has_header("X-Frame-Options")
        assert not response.cookies
        assert not response.has_header("Set-Cookie")
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert "<script" not in response.content.decode()
    assert not client.cookies


@pytest.mark.parametrize(
    "url", ["/en/", "/en/embed/", "/en/can-i-apply/", "/en/open-data/", "/en/programmes/"]
)
def test_every_other_page_refuses_to_be_framed(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_widget_with_bad_input_still_lists(client, catalogue):
    response = client.get(
        "/widget/?lang=xx&city=" + "x" * 5000 + "&page=abc&sort=nonsense&status=closed",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    # The status is always "open", whatever was asked: the widget's list is the open programmes.
    assert widget_titles(response) == [
        "Almaty Film Grant",
        "Aktau Film Grant",
        "Almaty Hub",
        "Almaty Music Grant",
        "Nationwide Film Loan",
    ]


# --- Embed the directory ----------------------------------------------------------------------------


def test_embed_page_shows_the_escaped_snippet_and_a_live_preview(client, catalogue):
    response = client.get("/en/embed/?sector=film&city=almaty&lang=kk")
    html = response.content.decode()
    widget_url = "http://testserver/widget/?sector=film&amp;city=almaty&amp;lang=kk"
    # The snippet is HTML (its own "&" written "&amp;"), shown as text: escaped once more.
    assert (
        '<textarea id="snippet" class="snippet" rows="4" readonly>'
        "&lt;iframe src=&quot;http://testserver/widget/?sector=film&amp;amp;city=almaty&amp;amp;lang=kk&quot; "
        "title=&quot;Ашық бағдарламалар · Creative Funding KZ&quot; width=&quot;100%&quot; "
        "height=&quot;600&quot; loading=&quot;lazy&quot;&gt;&lt;/iframe&gt;</textarea>"
    ) in html
    assert f'<iframe src="{widget_url}" title="Preview of the embedded list"' in html
    assert '<option value="film" selected>Film</option>' in html
    assert '<option value="almaty" selected>Almaty</option>' in html
    assert '<option value="kk" lang="kk" selected>' in html


def test_embed_page_ignores_unknown_choices(client, catalogue):
    html = client.get('/ru/embed/?sector=<script>&city=nowhere&lang="x').content.decode()
    assert "<script>" not in html
    assert "http://testserver/widget/?lang=ru" in html


def test_footer_links_to_the_open_directory_pages(client, db):
    html = client.get("/kk/").content.decode()
    assert '<a href="/kk/can-i-apply/">' in html
    assert '<a href="/kk/embed/">' in html
    assert '<a href="/kk/open-data/">' in html


# --- Can I apply? -------------------------------------------------------------------------------------


def suggestions(response) -> dict[str, list[tuple[str, str]]]:
    """{"open": [(title, why)], "later": [...]} as the helper lists them."""
    html = response.content.decode()
    found = {}
    for group in ("open", "later"):
        block = re.search(rf'<ul class="results" id="{group}-suggestions">(.*?)</ul>', html, re.S)
        items = re.findall(
            r'<h4 class="card-title"><a [^>]*>(.*?)</a>.*?<span class="why">(.*?)</span>',
            block.group(1) if block else "",
            re.S,
        )
        found[group] = [(title, why) for title, why in items]
    return found


def search_link(response) -> str:
    return (
        re.search(r'id="search-link" href="([^"]+)"', response.content.decode())
        .group(1)
        .replace("&amp;", "&")
    )


def test_helper_suggests_open_programmes_first_and_says_why_each_fits(client, catalogue):
    response = client.get("/en/can-i-apply/?applicant=sole-proprietor&city=almaty&sector=film&need=grant")
    assert suggestions(response) == {
        "open": [
            ("Almaty Film Grant", "open to sole proprietors; available in Almaty; for film; offers: grant")
        ],
        "later": [
            ("Upcoming Film Grant", "open to sole proprietors; available in Almaty; for film; offers: grant")
        ],
    }
    link = search_link(response)
    assert link == "/en/programmes/?applicant=sole-proprietor&city=almaty&sector=film&type=grant"
    # The search page with exactly those filters lists the same programmes.
    assert titles(client.get(link)) == ["Almaty Film Grant", "Upcoming Film Grant"]


def test_helper_says_a_nationwide_loan_is_available_everywhere(client, catalogue):
    response = client.get("/en/can-i-apply/?applicant=sole-proprietor&city=almaty&sector=film&need=loan")
    assert suggestions(response) == {
        "open": [
            (
                "Nationwide Film Loan",
                "open to sole proprietors; available everywhere in Kazakhstan; for film; offers: loan",
            )
        ],
        "later": [],
    }
    assert "Loans, and the guarantees and interest-rate subsidies that go with bank loans." in (
        response.content.decode()
    )
    assert search_link(response) == (
        "/en/programmes/?applicant=sole-proprietor&city=almaty&sector=film&type=loan&type=guarantee&type=subsidy"
    )


def test_helper_names_the_city_through_which_a_region_matches(client, catalogue):
    response = client.get("/en/can-i-apply/?city=mangystau-region&need=grant")
    assert suggestions(response) == {
        "open": [("Aktau Film Grant", "available in Aktau; offers: grant")],
        "later": [],
    }
    assert search_link(response) == "/en/programmes/?city=mangystau-region&type=grant"


def test_helper_says_when_a_need_has_no_type_of_its_own(client, catalogue):
    response = client.get("/ru/can-i-apply/?need=space&city=almaty")
    html = response.content.decode()
    assert suggestions(response) == {
        "open": [("Almaty Hub", "где: Алматы; предлагает: креативный хаб")],
        "later": [],
    }
    assert "В каталоге нет отдельного типа для рабочего пространства" in html


def test_helper_is_in_the_pages_language(client, catalogue):
    response = client.get("/kk/can-i-apply/?applicant=sole-proprietor&sector=film&need=grant&city=almaty")
    # No Kazakh title: the Russian one, marked as Russian.
    assert '<a href="/kk/programmes/almaty-film-grant/" lang="ru">' in response.content.decode()
    assert suggestions(response)["open"] == [
        (
            "Алматинский киногрант",
            "жеке кәсіпкерлер өтініш бере алады; қай жерде: Алматы; сала: кино; ұсынатыны: грант",
        )
    ]


def test_helper_without_answers_shows_only_the_questions(client, catalogue):
    html = client.get("/en/can-i-apply/").content.decode()
    assert "Who are you?" in html
    assert 'id="search-link"' not in html
    assert "Please correct" not in html


def test_helper_with_a_bad_answer_asks_again(client, catalogue):
    response = client.get("/en/can-i-apply/?city=nowhere&need=<b>")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the marked fields." in html
    assert "<b>" not in html
    assert 'id="search-link"' not in html


# --- Open data -------------------------------------------------------------------------------------------

EXPECTED_HEADERS = [
    "id",
    "title_kk",
    "title_ru",
    "title_en",
    "summary_kk",
    "summary_ru",
    "summary_en",
    "organisation",
    "organisation_name_kk",
    "organisation_name_ru",
    "organisation_name_en",
    "types",
    "sectors",
    "places",
    "is_nationwide",
    "applicants",
    "business_sizes",
    "amount_min",
    "amount_max",
    "currency",
    "amount_min_kzt",
    "amount_max_kzt",
    "deadline_type",
    "opens_on",
    "closes_on",
    "status",
    "apply_url",
    "url_kk",
    "url_ru",
    "url_en",
    "last_verified_on",
    "updated_at",
    "sources",
]


def body(response) -> bytes:
    """A download's bytes as the client receives them (the files are streamed)."""
    assert response.status_code == 200, response.status_code
    if not hasattr(response, "received"):
        response.received = b"".join(response.streaming_content)
    return response.received


def csv_rows(response) -> list[dict]:
    text = body(response).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def build_open_data() -> list[str]:
    """Run the command; its report, one line per file, timings replaced by "T"."""
    out = io.StringIO()
    call_command("build_open_data", stdout=out)
    return [re.sub(r"built in [\d.]+ s", "built in T s", line) for line in out.getvalue().splitlines()]


def download_ids(response, file_type: str) -> list[str]:
    if file_type == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
        return [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    if file_type == "csv":
        return [row["id"] for row in csv_rows(response)]
    return [item["id"] for item in json.loads(body(response))["programmes"]]


CATALOGUE_IDS = [
    "aktau-film-grant",
    "almaty-film-grant",
    "almaty-hub",
    "almaty-music-grant",
    "closed-film-grant",
    "nationwide-film-loan",
    "upcoming-film-grant",
]


@pytest.fixture
def built(catalogue):
    """The catalogue, with its open-data files built."""
    build_open_data()
    return catalogue


def test_csv_has_one_row_per_published_programme_with_every_column(client, built):
    response = client.get("/open-data/programmes.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="programmes.csv"'
    text = body(response).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == EXPECTED_HEADERS
    rows = csv_rows(response)
    # In slug order; drafts never.
    assert [row["id"] for row in rows] == [
        "aktau-film-grant",
        "almaty-film-grant",
        "almaty-hub",
        "almaty-music-grant",
        "closed-film-grant",
        "nationwide-film-loan",
        "upcoming-film-grant",
    ]
    grant = built["almaty_grant"]
    assert rows[1] == {
        "id": "almaty-film-grant",
        "title_kk": "",
        "title_ru": "Алматинский киногрант",
        "title_en": "Almaty Film Grant",
        "summary_kk": "",
        "summary_ru": "",
        "summary_en": "A short summary.",
        "organisation": "almaty-creative",
        "organisation_name_kk": "Almaty Creative",
        "organisation_name_ru": "Almaty Creative",
        "organisation_name_en": "Almaty Creative",
        "types": "grant",
        "sectors": "film",
        "places": "almaty",
        "is_nationwide": "false",
        "applicants": "individual; sole-proprietor",
        "business_sizes": "",
        "amount_min": "",
        "amount_max": "5000000.00",
        "currency": "KZT",
        # "Up to N" starts at 0 in tenge (the search page's amount filter reads it so).
        "amount_min_kzt": "0.00",
        "amount_max_kzt": "5000000.00",
        "deadline_type": "fixed",
        "opens_on": "2026-02-01",
        "closes_on": "2026-03-31",
        "status": "open",
        "apply_url": "",
        "url_kk": "http://127.0.0.1:8000/kk/programmes/almaty-film-grant/",
        "url_ru": "http://127.0.0.1:8000/ru/programmes/almaty-film-grant/",
        "url_en": "http://127.0.0.1:8000/en/programmes/almaty-film-grant/",
        "last_verified_on": "",
        "updated_at": grant.updated_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
        # The import's format: a "|" inside a part is escaped, so the file imports again.
        "sources": (
            "https://news.example.kz/almaty-film | Example News | Film grants \\| Almaty | 2026-02-01 | 2026-03-01\n"
            " | Kazakhstanskaya Pravda |  | 2026-01-15 | 2026-03-01"
        ),
    }
    assert [(row["id"], row["status"]) for row in rows if row["status"] != "open"] == [
        ("closed-film-grant", "closed"),
        ("upcoming-film-grant", "upcoming"),
    ]


def test_xlsx_holds_the_same_rows_as_the_csv(client, built):
    response = client.get("/open-data/programmes.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    # Empty cells are not written (the sheet stays small): a row ends at its last value.
    sheet_rows = [
        ["" if cell is None else str(cell) for cell in row] + [""] * (len(EXPECTED_HEADERS) - len(row))
        for row in book.worksheets[0].iter_rows(values_only=True)
    ]
    assert sheet_rows[0] == EXPECTED_HEADERS
    csv_values = [list(row.values()) for row in csv_rows(client.get("/open-data/programmes.csv"))]
    # Amounts are numbers in the workbook: "5000000.00" in the CSV, 5000000 in the sheet.
    normalised = [[re.sub(r"^(\d+)\.00$", r"\1", value) for value in row] for row in csv_values]
    assert [[re.sub(r"^(\d+)(\.0)?$", r"\1", value) for value in row] for row in sheet_rows[1:]] == normalised


def test_json_has_metadata_our_fields_and_commongrants(client, built):
    document = json.loads(body(client.get("/open-data/programmes.json")))
    metadata = document["metadata"]
    assert metadata["licence"] == {
        "name": "CC BY 4.0",
        "url": "https://creativecommons.org/licenses/by/4.0/",
        "attribution": "Creative Funding KZ (creative funding directory for Kazakhstan), CC BY 4.0",
    }
    assert metadata["count"] == 7
    assert metadata["countByStatus"] == {"open": 5, "upcoming": 1, "unknown": 0, "closed": 1}
    assert metadata["statusOn"] == "2026-03-01"
    # It describes the version and the moment it was built from.
    stored = OpenDataFile.objects.get(file_type="json")
    assert metadata["version"] == stored.version == versioning.current().key
    assert metadata["generatedAt"] == "2026-03-01T12:00:00+00:00"
    assert metadata["dataDictionary"] == "http://127.0.0.1:8000/en/open-data/"
    items = {item["id"]: item for item in document["programmes"]}
    assert list(items) == [
        "aktau-film-grant",
        "almaty-film-grant",
        "almaty-hub",
        "almaty-music-grant",
        "closed-film-grant",
        "nationwide-film-loan",
        "upcoming-film-grant",
    ]
    grant = items["almaty-film-grant"]
    assert list(grant) == [*EXPECTED_HEADERS, "commonGrants"]
    assert grant["applicants"] == ["individual", "sole-proprietor"]
    assert grant["amount_max"] == "5000000.00"
    assert grant["amount_min"] is None
    assert grant["is_nationwide"] is False
    assert grant["sources"] == [
        {
            "url": "https://news.example.kz/almaty-film",
            "publisher": "Example News",
            "title": "Film grants | Almaty",
            "published_on": "2026-02-01",
            "accessed_on": "2026-03-01",
        },
        {
            "url": "",
            "publisher": "Kazakhstanskaya Pravda",
            "title": "",
            "published_on": "2026-01-15",
            "accessed_on": "2026-03-01",
        },
    ]
    assert grant["commonGrants"] == {
        # UUID 5 of the programme's address: the same in every file, whatever the version.
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "http://127.0.0.1:8000/programmes/almaty-film-grant")),
        "title": "Almaty Film Grant",
        "description": "A short summary.",
        "status": {"value": "open"},
        "keyDates": {
            "appOpens": {"name": "Applications open", "eventType": "singleDate", "date": "2026-02-01"},
            "appDeadline": {"name": "Application deadline", "eventType": "singleDate", "date": "2026-03-31"},
        },
        "funding": {"maxAwardAmount": {"amount": "5000000.00", "currency": "KZT"}},
        "source": "http://127.0.0.1:8000/en/programmes/almaty-film-grant/",
        "lastModifiedAt": grant["updated_at"],
    }
    assert items["upcoming-film-grant"]["commonGrants"]["status"] == {"value": "forecasted"}
    assert items["closed-film-grant"]["commonGrants"]["status"] == {"value": "closed"}


def test_json_says_when_dates_are_not_published(client, catalogue):
    factories.ProgrammeFactory(slug="ask-organiser", deadline_type=DeadlineType.NOT_PUBLISHED)
    build_open_data()
    items = {i["id"]: i for i in json.loads(body(client.get("/open-data/programmes.json")))["programmes"]}
    assert items["ask-organiser"]["status"] == "unknown"
    assert items["ask-organiser"]["commonGrants"]["status"] == {
        "value": "custom",
        "customValue": "datesNotPublished",
        "description": "No source states when applications open or close; ask the organiser.",
    }


def test_build_builds_the_three_files_once_per_version_and_day(client, catalogue):
    version = versioning.current().key
    assert build_open_data() == [
        f"programmes.{file_type}: 7 programmes, {size}, version {version}, statuses on 2026-03-01, built in T s"
        for file_type, size in [
            ("csv", _sizes("csv")),
            ("xlsx", _sizes("xlsx")),
            ("json", _sizes("json")),
        ]
    ]
    stored = {f.file_type: f for f in OpenDataFile.objects.all()}
    assert sorted(stored) == ["csv", "json", "xlsx"]
    assert {(f.version, f.status_on, f.row_count) for f in stored.values()} == {
        (version, datetime.date(2026, 3, 1), 7)
    }
    # Nothing changed: nothing built, and the stored files are the same rows.
    assert build_open_data() == ["Every open-data file is current: nothing built."]
    assert {f.file_type: f.pk for f in OpenDataFile.objects.all()} == {t: f.pk for t, f in stored.items()}
    for file_type in ("csv", "xlsx", "json"):
        assert download_ids(client.get(f"/open-data/programmes.{file_type}"), file_type) == CATALOGUE_IDS


def _sizes(file_type: str) -> str:
    stored = OpenDataFile.objects.get(file_type=file_type)
    return f"{stored.size / 1000:.1f} kB ({len(bytes(stored.content)) / 1000:.1f} kB compressed)"


def test_build_does_not_advance_the_directory_version(catalogue):
    # The stored files are not a table behind the public pages: no trigger on it.
    assert OpenDataFile._meta.db_table not in versioning.public_tables()
    before = versioning.current()
    build_open_data()
    call_command("build_open_data", "--force", stdout=io.StringIO())
    assert versioning.current() == before


def test_force_rebuilds_every_file(catalogue):
    build_open_data()
    first = set(OpenDataFile.objects.values_list("pk", flat=True))
    out = io.StringIO()
    call_command("build_open_data", "--force", stdout=out)
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == [
        "programmes.csv",
        "programmes.xlsx",
        "programmes.json",
    ]
    # The old rows are gone, one file per format is left.
    assert OpenDataFile.objects.count() == 3
    assert not first & set(OpenDataFile.objects.values_list("pk", flat=True))


def test_a_build_that_started_earlier_never_replaces_a_later_ones_file(catalogue):
    # Two overlapping runs: the slower one started first, on an older directory.
    build_open_data()
    later = OpenDataFile.objects.get(file_type="csv")
    OpenDataFile.objects.filter(pk=later.pk).update(built_at=later.built_at + datetime.timedelta(hours=1))
    assert opendata.build("csv", force=True) is None
    assert list(OpenDataFile.objects.filter(file_type="csv").values_list("pk", flat=True)) == [later.pk]


@pytest.mark.parametrize("file_type", ["csv", "xlsx", "json"])
def test_a_change_is_served_after_the_next_build_and_the_old_file_until_then(client, built, file_type):
    url = f"/open-data/programmes.{file_type}"
    first = client.get(url)
    tag, old_version = first["ETag"], first["X-Directory-Version"]
    assert old_version == versioning.current().key
    assert download_ids(first, file_type) == CATALOGUE_IDS
    again = client.get(url, HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304
    assert again["ETag"] == tag
    assert again["X-Directory-Version"] == old_version

    factories.ProgrammeFactory(slug="brand-new-programme", title_en="Brand New Programme")
    assert versioning.current().key != old_version

    # Until the next build: the file that was built, with its own tag and version.
    stale = client.get(url)
    assert stale["ETag"] == tag
    assert stale["X-Directory-Version"] == old_version
    assert download_ids(stale, file_type) == CATALOGUE_IDS
    assert client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304

    assert [line.split(":")[0] for line in build_open_data()] == [
        "programmes.csv",
        "programmes.xlsx",
        "programmes.json",
    ]
    changed = client.get(url, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert changed["ETag"] != tag
    assert changed["X-Directory-Version"] == versioning.current().key
    ids = download_ids(changed, file_type)
    assert ids == sorted([*CATALOGUE_IDS, "brand-new-programme"])


def test_a_new_day_rebuilds_the_files_for_its_statuses(client, built):
    # The Almaty Film Grant closes on 31 March: on 1 April its status is "closed".
    with time_machine.travel(datetime.datetime(2026, 4, 1, 0, 30, tzinfo=ALMATY), tick=False):
        stale = csv_rows(client.get("/open-data/programmes.csv"))
        assert stale[1]["status"] == "open"
        assert [line.split(":")[0] for line in build_open_data()] == [
            "programmes.csv",
            "programmes.xlsx",
            "programmes.json",
        ]
        response = client.get("/open-data/programmes.csv")
        assert response["X-Statuses-On"] == "2026-04-01"
        assert csv_rows(response)[1]["status"] == "closed"


def test_download_headers_say_what_the_file_is(client, built):
    response = client.get("/open-data/programmes.json")
    stored = OpenDataFile.objects.get(file_type="json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="programmes.json"'
    assert response["ETag"] == f'"{stored.version}-2026-03-01-json-{stored.digest[:16]}"'
    assert response["Last-Modified"] == "Sun, 01 Mar 2026 12:00:00 GMT"
    assert response["X-Directory-Version"] == stored.version
    assert response["X-Statuses-On"] == "2026-03-01"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert response["Vary"] == "Accept-Encoding, Accept-Language"
    assert not response.has_header("Content-Encoding")
    content = body(response)
    assert int(response["Content-Length"]) == len(content) == stored.size
    assert hashlib.sha256(content).hexdigest() == stored.digest


@pytest.mark.parametrize("file_type", ["csv", "xlsx", "json"])
def test_gzip_and_identity_give_the_same_file(client, built, file_type):
    url = f"/open-data/programmes.{file_type}"
    plain = client.get(url, HTTP_ACCEPT_ENCODING="identity")
    compressed = client.get(url, HTTP_ACCEPT_ENCODING="br, gzip;q=0.8")
    refused = client.get(url, HTTP_ACCEPT_ENCODING="gzip;q=0, deflate")
    assert compressed["Content-Encoding"] == "gzip"
    assert not plain.has_header("Content-Encoding")
    assert not refused.has_header("Content-Encoding")
    gzipped = body(compressed)
    assert int(compressed["Content-Length"]) == len(gzipped)
    assert gzip.decompress(gzipped) == body(plain) == body(refused)
    # One file, two encodings: the compressed one's tag is the weak form of the other's.
    assert compressed["ETag"] == "W/" + plain["ETag"]
    # Either tag validates either encoding (If-None-Match compares weakly).
    for tag in (plain["ETag"], compressed["ETag"]):
        assert client.get(url, HTTP_IF_NONE_MATCH=tag, HTTP_ACCEPT_ENCODING="gzip").status_code == 304
        assert client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_a_file_replaced_while_it_is_asked_for_is_served_in_its_new_version(client, built, monkeypatch):
    # The view reads the newest row, then its content: a build in between deletes the row read.
    from programmes.models import OpenDataFileQuerySet

    newest = OpenDataFileQuerySet.newest
    replaced = []

    def replaced_after_reading(queryset, file_type):
        stored = newest(queryset, file_type)
        if not replaced:
            replaced.append(stored.pk)
            factories.ProgrammeFactory(slug="brand-new-programme")
            build_open_data()
        return stored

    monkeypatch.setattr(OpenDataFileQuerySet, "newest", replaced_after_reading)
    old_pk = OpenDataFile.objects.get(file_type="csv").pk
    response = client.get("/open-data/programmes.csv")
    new = OpenDataFile.objects.get(file_type="csv")
    assert replaced == [old_pk] != [new.pk]
    assert response["ETag"] == f'"{new.version}-2026-03-01-csv-{new.digest[:16]}"'
    assert [row["id"] for row in csv_rows(response)] == sorted([*CATALOGUE_IDS, "brand-new-programme"])


def test_if_modified_since_and_unknown_tags(client, built):
    url = "/open-data/programmes.csv"
    assert client.get(url, HTTP_IF_MODIFIED_SINCE="Sun, 01 Mar 2026 12:00:00 GMT").status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE="Sun, 01 Mar 2026 11:59:59 GMT").status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH='"1.2-2026-03-01-csv-0"').status_code == 200


@pytest.mark.parametrize("file_type", ["csv", "xlsx", "json"])
def test_no_file_built_yet_is_a_503_that_says_when_to_come_back(client, catalogue, file_type):
    response = client.get(f"/open-data/programmes.{file_type}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == "600"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response.content.decode() == (
        "The open-data files have not been built yet. They are built within 10 minutes; please try again then."
    )
    downloads = re.search(
        r'<ul id="downloads">(.*?)</ul>', client.get("/ru/open-data/").content.decode(), re.S
    )
    assert re.findall(r"<li>(.*?)</li>", downloads.group(1)) == [
        f'<a href="/open-data/programmes.{name}">programmes.{name}</a> ({name.upper()}): ещё не собран'
        for name in ("csv", "xlsx", "json")
    ]


def test_the_503_is_in_the_visitors_language(client, db):
    response = client.get("/open-data/programmes.csv", HTTP_ACCEPT_LANGUAGE="kk")
    assert response.status_code == 503
    assert response.content.decode().startswith("Ашық деректер файлдары әлі жасалмаған.")


def test_drafts_and_archived_programmes_never_appear(client, catalogue):
    factories.ProgrammeFactory(slug="archived-film-grant", state=PublicationState.ARCHIVED)
    build_open_data()
    for file_type in ("csv", "xlsx", "json"):
        response = client.get(f"/open-data/programmes.{file_type}")
        assert download_ids(response, file_type) == CATALOGUE_IDS
    content = gzip.decompress(bytes(OpenDataFile.objects.get(file_type="json").content))
    assert b"draft-film-grant" not in content
    assert b"archived-film-grant" not in content


def test_unknown_download_format_is_a_404(client, db):
    assert client.get("/open-data/programmes.exe").status_code == 404


def test_downloads_neutralise_formulas(client, db):
    factories.ProgrammeFactory(slug="formula", title_en='=HYPERLINK("http://evil")')
    build_open_data()
    row = csv_rows(client.get("/open-data/programmes.csv"))[0]
    assert row["title_en"] == '\'=HYPERLINK("http://evil")'


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_data_dictionary_lists_every_column_of_the_downloads(client, built, language):
    html = client.get(f"/{language}/open-data/").content.decode()
    table = re.search(r'<table class="data-table" id="columns">(.*?)</table>', html, re.S).group(1)
    listed = re.findall(r'<th scope="row"><code>([^<]+)</code></th>', table)
    downloaded = next(
        csv.reader(io.StringIO(body(client.get("/open-data/programmes.csv")).decode("utf-8-sig")))
    )
    assert listed == downloaded == opendata_columns.HEADERS
    # Each row has a meaning, a type and an example (or says it is empty).
    assert len(
        re.findall(r"<tr><th scope=\"row\">.*?</th><td>.+?</td><td>.+?</td><td>.+?</td></tr>", table)
    ) == len(listed)
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license"' in html
    assert '<a href="/open-data/programmes.csv">' in html


def test_data_dictionary_says_when_the_files_were_built(client, built):
    html = client.get("/en/open-data/").content.decode()
    version = versioning.current().key
    assert re.findall(
        r"<li>(.*?)</li>", re.search(r'<ul id="downloads">(.*?)</ul>', html, re.S).group(1)
    ) == [
        f'<a href="/open-data/programmes.{file_type}">programmes.{file_type}</a> ({file_type.upper()}, {size}): '
        f"built 1 March 2026, 17:00 from directory version {version}, 7 programmes"
        for file_type, size in [
            ("csv", filesizeformat(OpenDataFile.objects.get(file_type="csv").size)),
            ("xlsx", filesizeformat(OpenDataFile.objects.get(file_type="xlsx").size)),
            ("json", filesizeformat(OpenDataFile.objects.get(file_type="json").size)),
        ]
    ]
    assert "The files are rebuilt within 10 minutes of any change to the directory" in html


def test_data_dictionary_is_translated(client, db):
    assert "Открытые данные" in client.get("/ru/open-data/").content.decode()
    assert "Ашық деректер" in client.get("/kk/open-data/").content.decode()


# --- Hostile input ----------------------------------------------------------------------------------


def test_the_open_directory_pages_never_fail_on_any_query(client, catalogue, settings):
    settings.EXPENSIVE_REQUESTS_PER_MINUTE = 10**9
    names = st.sampled_from([*PARAMETERS, "lang", "need", "applicant", "city", "sector"])

    @hypothesis_settings(FUZZ, max_examples=150)
    @given(
        page=st.sampled_from(["/widget/", "/en/can-i-apply/", "/kk/embed/", "/ru/open-data/"]),
        pairs=st.lists(st.tuples(names, values), max_size=6),
        raw=st.lists(st.sampled_from(RAW_PIECES), max_size=2),
    )
    def check(page, pairs, raw):
        query = "&".join([f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in pairs] + raw)
        response = client.get(page, QUERY_STRING=query)
        assert_sound(response, f"{page}?{query}")

    check()


def test_widget_query_count_does_not_grow_with_results(client, catalogue):
    client.get("/widget/?lang=en")  # the search index is built once

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(queries), len(widget_titles(response))

    one = count("/widget/?lang=en&sector=music")
    many = count("/widget/?lang=en&sort=title")
    assert one[1] == 1
    assert many[1] == 5
    assert one[0] == many[0]


def test_widget_shows_a_new_programme_at_once(client, catalogue, places):
    assert widget_titles(client.get("/widget/?city=almaty&sector=music&lang=en")) == ["Almaty Music Grant"]
    factories.ProgrammeFactory(
        title_en="Another Music Grant",
        sectors=[catalogue["music_grant"].sectors.get()],
        locations=[places["almaty"]],
    )
    # The cached copy is filed under the directory's version, which the new programme advanced.
    assert widget_titles(client.get("/widget/?city=almaty&sector=music&lang=en")) == [
        "Almaty Music Grant",
        "Another Music Grant",
    ]


def test_head_is_answered_like_get_on_the_widget_and_the_downloads(client, built):
    # Link checkers and `curl -I` ask with HEAD.
    widget = client.head("/widget/?sector=film")
    download = client.head("/open-data/programmes.csv")
    assert (widget.status_code, widget.content, download.status_code) == (200, b"", 200)
    assert download["ETag"] == client.get("/open-data/programmes.csv")["ETag"]
    assert client.post("/widget/").status_code == 405


def test_the_helpers_answers_name_terms_the_taxonomy_has():
    # The helper maps answers onto slugs in code: a slug the taxonomy lost would silently drop
    # that filter and suggest everything.
    taxonomy = json.loads((Path(settings.BASE_DIR) / "fixtures" / "taxonomy.json").read_text())
    slugs = {kind: {term["slug"] for term in terms} for kind, terms in taxonomy.items()}
    assert set(helper.APPLICANTS) <= slugs["applicant_kinds"]
    assert {slug for need in helper.NEEDS.values() for slug in need.types} <= slugs["programme_types"]


def test_helper_query_count_does_not_grow_with_suggestions(client, catalogue):
    # reasons() reads each suggestion's places, sectors and types: from the cards' links, not a
    # query per programme.
    client.get("/en/can-i-apply/?need=grant")  # the search index is built once

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(queries), response.content.decode().count('class="reasons"')

    few = count("/en/can-i-apply/?city=almaty&sector=music&need=grant")
    many = count("/en/can-i-apply/?city=almaty&need=grant")
    assert 0 < few[1] < many[1]
    assert few[0] == many[0]
