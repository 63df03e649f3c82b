"""The public JSON API (/api/v1/): the search page's results, published programmes only, the
taxonomies, languages, CORS, ETags, errors, the rate limit, and its OpenAPI schema."""

import datetime
import json
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import schemathesis
import time_machine
import yaml
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from programmes.choices import DeadlineType, PublicationState
from tests.conftest import TODAY, titles
from tests.factories import (
    ApplicantKindFactory,
    BusinessSizeFactory,
    ExchangeRateFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeSourceFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/programmes/"


@pytest.fixture
def catalogue(places, today):
    """Five published programmes (two film, one music, one closed, one nationwide), a draft and
    an archived one that would match everything, on 1 March 2026."""
    grant = ProgrammeTypeFactory(slug="grant", name_en="Grant", name_ru="Грант", name_kk="Грант")
    loan = ProgrammeTypeFactory(slug="loan", name_en="Loan", name_ru="Заём", name_kk="Қарыз")
    film = SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино")
    music = SectorFactory(slug="music", name_en="Music", name_ru="Музыка", name_kk="Музыка")
    ApplicantKindFactory(slug="individual", name_en="Individual", name_ru="Физическое лицо")
    BusinessSizeFactory(slug="small", name_en="Small", name_ru="Малый")
    ExchangeRateFactory(currency="USD", kzt_per_unit="500.00", valid_from=datetime.date(2026, 1, 15))
    fund = OrganisationFactory(
        slug="tolqyn", name_en="Tolqyn Fund", name_ru="Фонд Толқын", name_kk="Толқын қоры"
    )
    hidden = OrganisationFactory(slug="only-drafts", name_en="Only Drafts Ltd")
    soon = TODAY + datetime.timedelta(days=5)
    later = TODAY + datetime.timedelta(days=40)
    programmes = {
        "film-grant": ProgrammeFactory(
            slug="film-grant",
            title_en="Film Grant",
            title_ru="Грант на кино",
            title_kk="Кино гранты",
            summary_en="Money for films.",
            summary_ru="Деньги на фильмы.",
            summary_kk="",
            organisation=fund,
            types=[grant],
            sectors=[film],
            locations=[places["almaty"]],
            amount_min=Decimal("1000000"),
            amount_max=Decimal("5000000"),
            deadline_type=DeadlineType.FIXED,
            opens_on=TODAY - datetime.timedelta(days=10),
            closes_on=soon,
            apply_url="https://tolqyn.example.kz/apply",
        ),
        "music-loan": ProgrammeFactory(
            slug="music-loan",
            title_en="Music Loan",
            organisation=fund,
            types=[loan],
            sectors=[music],
            locations=[places["aktau"]],
            amount_max=Decimal("10000"),
            currency="USD",
            deadline_type=DeadlineType.FIXED,
            closes_on=later,
        ),
        "nationwide-film": ProgrammeFactory(
            slug="nationwide-film",
            title_en="Nationwide Film Prize",
            types=[grant],
            sectors=[film],
            is_nationwide=True,
            deadline_type=DeadlineType.ROLLING,
        ),
        "mangystau-stage": ProgrammeFactory(
            slug="mangystau-stage",
            title_en="Mangystau Stage Fund",
            types=[grant],
            locations=[places["mangystau-region"]],
            amount_min=Decimal("200000"),
            deadline_type=DeadlineType.NOT_PUBLISHED,
        ),
        "closed-film": ProgrammeFactory(
            slug="closed-film",
            title_en="Closed Film Call",
            types=[grant],
            sectors=[film],
            deadline_type=DeadlineType.FIXED,
            closes_on=TODAY - datetime.timedelta(days=1),
        ),
    }
    for state in (PublicationState.DRAFT, PublicationState.ARCHIVED):
        ProgrammeFactory(
            slug=f"{state}-film",
            title_en=f"Film Grant {state}",
            organisation=hidden,
            types=[grant],
            sectors=[film],
            is_nationwide=True,
            state=state,
            deadline_type=DeadlineType.ROLLING,
        )
    ProgrammeSourceFactory(
        programme=programmes["film-grant"],
        url="https://news.example.kz/tolqyn",
        publisher="Example News",
        title="Tolqyn opens its call",
    )
    return programmes


def api(client, path, **headers):
    response = client.get(path, headers={"accept-language": "en", **headers})
    return response, json.loads(response.content) if response.content else None


def slugs(data) -> list[str]:
    return [item["slug"] for item in data["results"]]


# --- The search page's results ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["film-grant", "music-loan", "nationwide-film", "mangystau-stage"]),
        ("sector=film", ["film-grant", "nationwide-film"]),
        ("q=film", ["film-grant", "nationwide-film"]),
        ("city=aktau", ["music-loan", "nationwide-film", "mangystau-stage"]),
        ("city=mangystau-region&sort=title", ["mangystau-stage", "music-loan", "nationwide-film"]),
        ("amount_max=300000", ["music-loan", "mangystau-stage"]),
        ("amount_min=3000&currency=usd", ["film-grant", "music-loan", "mangystau-stage"]),
        # Equal in tenge (10,000 USD at 500): by title.
        ("sort=amount_desc", ["film-grant", "music-loan", "mangystau-stage", "nationwide-film"]),
        ("status=closed&status=open", ["film-grant", "music-loan", "nationwide-film", "closed-film"]),
        ("closing_within=7", ["film-grant"]),
        ("type=grant&type=loan&sector=music&q=", ["music-loan"]),
    ],
)
def test_list_gives_the_search_pages_programmes_in_its_order(client, catalogue, query, expected):
    response, data = api(client, f"{LIST}?{query}")
    assert response.status_code == 200
    assert slugs(data) == expected
    assert data["count"] == len(expected)
    page = client.get(f"/en/programmes/?{query}", follow=True)
    assert [item["title"] for item in data["results"]] == titles(page)


def test_list_pages_are_the_search_pages_pages(client, catalogue, settings):
    settings.PROGRAMMES_PER_PAGE = 2
    _response, first = api(client, f"{LIST}?sort=title")
    _response, second = api(client, f"{LIST}?sort=title&page=2")
    _response, past = api(client, f"{LIST}?sort=title&page=3")
    assert slugs(first) == ["film-grant", "mangystau-stage"]
    assert slugs(second) == ["music-loan", "nationwide-film"]
    assert titles(client.get("/en/programmes/?sort=title&page=2")) == ["Music Loan", "Nationwide Film Prize"]
    assert (first["count"], first["pages"], first["page_size"]) == (4, 2, 2)
    assert first["next"] == "http://testserver/api/v1/programmes/?sort=title&page=2"
    assert (second["next"], second["previous"]) == (
        None,
        "http://testserver/api/v1/programmes/?sort=title&page=1",
    )
    assert (past["results"], past["page"], past["previous"]) == (
        [],
        3,
        "http://testserver/api/v1/programmes/?sort=title&page=2",
    )
    _response, small = api(client, f"{LIST}?sort=title&page_size=3&page=2")
    assert slugs(small) == ["nationwide-film"]


def test_list_item_has_every_documented_fact(client, catalogue):
    _response, data = api(client, f"{LIST}?sector=film&sort=title")
    item = data["results"][0]
    assert item == {
        "slug": "film-grant",
        "url": "http://testserver/en/programmes/film-grant/",
        "title": "Film Grant",
        "summary": "Money for films.",
        "text_languages": {"title": "en", "summary": "en"},
        "available_languages": ["kk", "ru", "en"],
        "organisation": {
            "slug": "tolqyn",
            "name": "Tolqyn Fund",
            "kind": "state",
            "website": None,
            "url": "http://testserver/en/organisations/tolqyn/",
        },
        "types": [{"slug": "grant", "name": "Grant"}],
        "sectors": [{"slug": "film", "name": "Film"}],
        "places": [{"slug": "almaty", "name": "Almaty", "kind": "city", "region": None}],
        "nationwide": False,
        "applicant_kinds": [],
        "business_sizes": [],
        "award": {
            "min": 1000000,
            "max": 5000000,
            "currency": "KZT",
            "note": "",
            "kzt": {"min": 1000000, "max": 5000000, "rate": 1, "rate_date": None},
        },
        "deadline_type": "fixed",
        "deadline_note": "",
        "opens_on": "2026-02-19",
        "closes_on": "2026-03-06",
        "status": "open",
        "apply_url": "https://tolqyn.example.kz/apply",
        "sources": [
            {
                "url": "https://news.example.kz/tolqyn",
                "publisher": "Example News",
                "title": "Tolqyn opens its call",
                "published_on": "2026-02-01",
                "accessed_on": "2026-03-01",
            }
        ],
        "last_verified_on": None,
        "newest_source_on": "2026-02-01",
        "updated_at": item["updated_at"],
    }
    assert item["updated_at"].startswith("2026-03-01T17:00:00")  # noon UTC, in Almaty's time


def test_foreign_award_has_its_tenge_equivalent_and_rate_date(client, catalogue):
    _response, data = api(client, "/api/v1/programmes/music-loan/")
    assert data["award"] == {
        "min": None,
        "max": 10000,
        "currency": "USD",
        "note": "",
        "kzt": {"min": None, "max": 5000000, "rate": 500, "rate_date": "2026-01-15"},
    }
    assert [place["region"] for place in data["places"]] == ["mangystau-region"]


def test_facets_on_request_are_the_search_pages_counts(client, catalogue):
    _response, plain = api(client, f"{LIST}?sector=film")
    _response, data = api(client, f"{LIST}?sector=film&facets=1")
    assert "facets" not in plain
    facets = data["facets"]
    assert list(facets) == ["type", "sector", "city", "applicant", "business_size", "organisation", "status"]
    # Each facet counted with the other filters: film selected, music still counted.
    assert facets["sector"] == [
        {"slug": "film", "name": "Film", "count": 2, "selected": True},
        {"slug": "music", "name": "Music", "count": 1, "selected": False},
    ]
    assert facets["type"] == [{"slug": "grant", "name": "Grant", "count": 2, "selected": False}]
    assert facets["status"] == [
        {"slug": "open", "name": "Open", "count": 2, "selected": True},
        {"slug": "upcoming", "name": "Upcoming", "count": 0, "selected": True},
        {"slug": "unknown", "name": "Dates not published", "count": 0, "selected": True},
        {"slug": "closed", "name": "Closed", "count": 1, "selected": False},
    ]
    # By name: "Organisation N" before "Tolqyn Fund".
    assert [(o["slug"], o["count"]) for o in facets["organisation"]] == [
        (catalogue["nationwide-film"].organisation.slug, 1),
        ("tolqyn", 1),
    ]


# --- Published programmes only -----------------------------------------------------------------------


def test_drafts_and_archived_programmes_never_appear(client, catalogue):
    every_status = "status=open&status=closed&status=upcoming&status=unknown"
    _response, data = api(client, f"{LIST}?sector=film&{every_status}&facets=1")
    assert slugs(data) == ["film-grant", "nationwide-film", "closed-film"]
    _response, words = api(client, f"{LIST}?q=film+grant&{every_status}")
    assert "film-grant" in slugs(words)
    assert not {"draft-film", "archived-film"} & set(slugs(words))
    assert all(o["slug"] != "only-drafts" for o in data["facets"]["organisation"])
    for slug in ("draft-film", "archived-film"):
        response, body = api(client, f"/api/v1/programmes/{slug}/")
        assert response.status_code == 404
        assert body == {"detail": "There is no such published programme or address in the API."}
    _response, organisations = api(client, "/api/v1/organisations/")
    assert [o["slug"] for o in organisations] == [
        catalogue["nationwide-film"].organisation.slug,
        catalogue["mangystau-stage"].organisation.slug,
        catalogue["closed-film"].organisation.slug,
        "tolqyn",
    ]
    response, body = api(client, f"{LIST}?organisation=only-drafts")
    assert response.status_code == 400
    assert body["errors"] == {"organisation": ["“only-drafts” is not a known value."]}


def test_detail_has_the_long_texts(client, catalogue):
    programme = catalogue["film-grant"]
    programme.description_en = "**Up to** five films."
    programme.eligibility_ru = "Студии Казахстана."
    programme.contact = "info@tolqyn.example.kz"
    programme.save()
    _response, data = api(client, "/api/v1/programmes/film-grant/")
    assert data["description"] == "**Up to** five films."
    assert data["eligibility"] == "Студии Казахстана."
    assert data["how_to_apply"] == ""
    assert data["contact"] == "info@tolqyn.example.kz"
    assert (data["description_html"], data["eligibility_html"], data["how_to_apply_html"]) == (
        "<p><strong>Up to</strong> five films.</p>",
        "<p>Студии Казахстана.</p>",
        "",
    )
    assert data["text_languages"] == {
        "title": "en",
        "summary": "en",
        "description": "en",
        "eligibility": "ru",
        "how_to_apply": "en",
    }


def test_long_texts_come_sanitised_beside_the_markdown(client, catalogue):
    # Markdown may carry raw HTML; a partner rendering it with a common renderer would run it.
    programme = catalogue["film-grant"]
    programme.description_en = (
        "Grants. <img src=x onerror=alert(1)> [click](javascript:alert(1)) [site](https://example.kz)"
    )
    programme.save()
    _response, data = api(client, "/api/v1/programmes/film-grant/")
    assert data["description"] == programme.description_en
    assert data["description_html"] == (
        '<p>Grants.  <a rel="nofollow noopener">click</a> '
        '<a href="https://example.kz" rel="nofollow noopener">site</a></p>'
    )


# --- Taxonomies ----------------------------------------------------------------------------------


def test_each_taxonomy_lists_its_slugs(client, catalogue):
    assert api(client, "/api/v1/types/")[1] == [
        {"slug": "grant", "name": "Grant"},
        {"slug": "loan", "name": "Loan"},
    ]
    assert api(client, "/api/v1/sectors/?lang=ru")[1] == [
        {"slug": "film", "name": "Кино"},
        {"slug": "music", "name": "Музыка"},
    ]
    assert api(client, "/api/v1/applicant-kinds/")[1] == [{"slug": "individual", "name": "Individual"}]
    assert api(client, "/api/v1/business-sizes/")[1] == [{"slug": "small", "name": "Small"}]
    assert [(p["slug"], p["kind"], p["region"]) for p in api(client, "/api/v1/places/")[1]] == [
        ("aktau", "city", "mangystau-region"),
        ("almaty", "city", None),
        ("kyzylorda", "city", "kyzylorda-region"),
        ("kyzylorda-region", "region", None),
        ("mangystau-region", "region", None),
    ]


# --- Languages ---------------------------------------------------------------------------------


def test_language_from_lang_parameter_then_accept_language(client, catalogue):
    response, data = api(client, "/api/v1/programmes/film-grant/?lang=ru")
    assert (data["title"], data["summary"], data["types"][0]["name"]) == (
        "Грант на кино",
        "Деньги на фильмы.",
        "Грант",
    )
    assert data["url"] == "http://testserver/ru/programmes/film-grant/"
    assert response["Content-Language"] == "ru"
    # Kazakh asked for by the header: the summary falls back to Russian, and says so.
    response, data = api(client, "/api/v1/programmes/film-grant/", **{"accept-language": "kk,en;q=0.5"})
    assert (data["title"], data["summary"]) == ("Кино гранты", "Деньги на фильмы.")
    assert (data["text_languages"]["title"], data["text_languages"]["summary"]) == ("kk", "ru")
    assert data["organisation"]["name"] == "Толқын қоры"
    assert response["Content-Language"] == "kk"
    assert "Accept-Language" in response["Vary"]
    # ?lang wins over the header, and the language cookie of the pages is not the API's.
    client.cookies["django_language"] = "ru"
    _response, data = api(client, f"{LIST}?sector=film&lang=en", **{"accept-language": "kk"})
    assert (data["language"], data["results"][0]["title"]) == ("en", "Film Grant")
    _response, data = api(client, f"{LIST}?sector=film", **{"accept-language": "kk"})
    assert (data["language"], data["results"][0]["title"]) == ("kk", "Кино гранты")


# --- CORS, ETag -------------------------------------------------------------------------------------


def test_any_origin_may_read_the_api_and_nothing_else(client, catalogue):
    response = client.get(LIST, headers={"origin": "https://partner.example.org"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert set(response["Access-Control-Expose-Headers"].split(", ")) == {
        "ETag",
        "Retry-After",
        "Content-Language",
    }
    preflight = client.options(
        LIST,
        headers={
            "origin": "https://partner.example.org",
            "access-control-request-method": "GET",
            "access-control-request-headers": "if-none-match, accept-language",
        },
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert (
        preflight["Access-Control-Allow-Headers"]
        == "accept, accept-language, content-language, if-none-match"
    )
    plain = client.options(LIST)
    assert (plain.status_code, plain["Allow"]) == (204, "GET, HEAD, OPTIONS")
    assert client.head(LIST).status_code == 200
    refused = client.post(LIST, headers={"accept-language": "en"})
    assert (refused.status_code, json.loads(refused.content)) == (
        405,
        {"detail": 'Method "POST" not allowed.'},
    )
    # The pages are not for other sites' scripts.
    page = client.get("/en/programmes/", headers={"origin": "https://partner.example.org"})
    assert "Access-Control-Allow-Origin" not in page


def test_etag_answers_304_until_the_directory_changes(client, catalogue):
    response, data = api(client, f"{LIST}?sector=film")
    etag = response["ETag"]
    assert etag.startswith('W/"')
    # The version, Almaty's day, the language and (hashed) the address.
    assert re.fullmatch(r'W/"1\.[0-9a-f]+\.\d+\.20260301\.en\.[0-9a-f]{12}"', etag)
    assert response["Cache-Control"] == "no-cache"
    again = client.get(f"{LIST}?sector=film", headers={"accept-language": "en", "if-none-match": etag})
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    # Another language is another representation.
    russian = client.get(f"{LIST}?sector=film", headers={"accept-language": "ru", "if-none-match": etag})
    assert russian.status_code == 200
    # "*" matches only an answer that exists.
    for other, status in (
        ("/api/v1/programmes/no-such/", 404),
        (f"{LIST}?page=0", 400),
        (f"{LIST}?sector=film", 304),
    ):
        assert (
            client.get(other, headers={"accept-language": "en", "if-none-match": "*"}).status_code == status
        )
    # Another address too: an ETag taken elsewhere never turns a 404 or a 400 into a 304.
    for other, status in (
        (f"{LIST}?sector=music", 200),
        ("/api/v1/programmes/no-such/", 404),
        (f"{LIST}?page=0", 400),
    ):
        assert (
            client.get(other, headers={"accept-language": "en", "if-none-match": etag}).status_code == status
        )
    programme = catalogue["film-grant"]
    programme.title_en = "Film Grant 2026"
    programme.save()
    changed, data = api(client, f"{LIST}?sector=film", **{"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert data["results"][0]["title"] == "Film Grant 2026"


def test_a_new_day_in_almaty_is_a_new_answer(client, catalogue):
    """Statuses change at midnight without any write: neither the cached answer nor the ETag
    of the day before is served the next day."""
    almaty = ZoneInfo("Asia/Almaty")
    with time_machine.travel(datetime.datetime(2026, 3, 6, 23, 59, 50, tzinfo=almaty), tick=False):
        before, data = api(client, "/api/v1/programmes/film-grant/")
    assert (data["closes_on"], data["status"]) == ("2026-03-06", "open")
    with time_machine.travel(datetime.datetime(2026, 3, 7, 0, 0, 10, tzinfo=almaty), tick=False):
        after, data = api(client, "/api/v1/programmes/film-grant/", **{"if-none-match": before["ETag"]})
    assert after.status_code == 200
    assert data["status"] == "closed"
    assert after["ETag"] == before["ETag"].replace(".20260306.", ".20260307.")


# --- Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "language", "errors"),
    [
        ("amount_min=abc", "en", {"amount_min": ["Enter a number."]}),
        ("amount_min=abc", "ru", {"amount_min": ["Введите число."]}),
        ("amount_max=-5", "en", {"amount_max": ["Ensure this value is greater than or equal to 0."]}),
        ("sector=film&sector=nope", "en", {"sector": ["“nope” is not a known value."]}),
        ("sector=nope", "ru", {"sector": ["«nope» — неизвестное значение."]}),
        ("page=0", "en", {"page": ["Ensure this value is greater than or equal to 1."]}),
        ("page=abc", "ru", {"page": ["Введите целое число."]}),
        ("page_size=101", "en", {"page_size": ["Ensure this value is less than or equal to 100."]}),
        (
            "amount_min=9&amount_max=1",
            "en",
            {"amount_min": ["The minimum amount is larger than the maximum."]},
        ),
        ("amount_min=5&currency=gbp", "en", {"currency": ["There is no exchange rate for GBP yet."]}),
        (
            "status=sometimes",
            "en",
            {"status": ["Select a valid choice. sometimes is not one of the available choices."]},
        ),
        (
            "facets=maybe",
            "en",
            {"facets": ["Select a valid choice. maybe is not one of the available choices."]},
        ),
        ("lang=xx", "en", {"lang": ["Select a valid choice. xx is not one of the available choices."]}),
        ("lang=xx", "ru", {"lang": ["Выберите корректный вариант. xx нет среди допустимых значений."]}),
    ],
)
def test_bad_parameters_are_a_400_naming_them_in_the_asked_language(
    client, catalogue, query, language, errors
):
    response, body = api(client, f"{LIST}?{query}", **{"accept-language": language})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    detail = {"en": "Some parameters are not valid.", "ru": "Некоторые параметры указаны неверно."}[language]
    assert body == {"detail": detail, "errors": errors}


def test_several_bad_parameters_are_named_together(client, catalogue):
    response, body = api(client, f"{LIST}?amount_min=abc&sector=nope&page=0&lang=kk")
    assert response.status_code == 400
    assert body == {
        "detail": "Кейбір параметрлердің мәні дұрыс емес.",
        "errors": {
            "page": ["Бұл мәннің мынадан 1 үлкен немесе тең екендігін тексеріңіз."],
            "sector": ["«nope» мәні белгісіз."],
            "amount_min": ["Сан енгізіңіз."],
        },
    }


def test_rate_limit_answers_429_with_retry_after(client, catalogue, settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    statuses = [client.get(path).status_code for path in (LIST, "/api/v1/types/", f"{LIST}?page=0")]
    assert statuses == [200, 200, 400]  # bad requests count too
    response = client.get("/api/v1/sectors/", headers={"accept-language": "ru"})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert json.loads(response.content) == {
        "detail": "Слишком много запросов с вашего адреса: не более 3 в минуту. Повторите через 60 с."
    }
    # Another address has its own minute.
    assert client.get(LIST, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_list_query_count_does_not_grow_with_results(client, catalogue):
    api(client, f"{LIST}?sort=title")  # builds the search index, its order by title, the term lists
    with CaptureQueriesContext(connection) as one:
        assert len(api(client, f"{LIST}?page_size=1&sort=title")[1]["results"]) == 1
    with CaptureQueriesContext(connection) as four:
        assert len(api(client, f"{LIST}?page_size=20&sort=title")[1]["results"]) == 4
    assert [q["sql"][:60] for q in one] == [q["sql"][:60] for q in four]


# --- Schema -----------------------------------------------------------------------------------


def _schema(client) -> dict:
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi_3_and_describes_everything(client, db):
    schema = _schema(client)
    validate(schema)
    assert sorted(schema["paths"]) == [
        "/api/v1/applicant-kinds/",
        "/api/v1/business-sizes/",
        "/api/v1/organisations/",
        "/api/v1/places/",
        "/api/v1/programmes/",
        "/api/v1/programmes/{slug}/",
        "/api/v1/sectors/",
        "/api/v1/types/",
    ]
    listed = schema["paths"]["/api/v1/programmes/"]["get"]["parameters"]
    from programmes.filters import PUBLIC_PARAMETERS

    assert {p["name"] for p in listed} == {*PUBLIC_PARAMETERS, "page_size", "facets", "lang"}
    undescribed = [
        f"{path} {p['name']}"
        for path, item in schema["paths"].items()
        for p in item["get"]["parameters"]
        if not p.get("description")
    ]
    for name, component in schema["components"]["schemas"].items():
        undescribed += [
            f"{name}.{field}"
            for field, spec in component.get("properties", {}).items()
            if not spec.get("description")
        ]
    assert undescribed == []


def test_documentation_page_is_served_from_our_static_files(client, db):
    page = client.get("/api/v1/docs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"></script>' in html
    )
    assert '<script src="/api/v1/docs/?script="></script>' in html
    # No inline script or style: the site's own Content Security Policy holds on this page too.
    assert "<style" not in html
    assert html.count("<script") == html.count("<script src=") == 3
    assert "script-src 'self'" in page["Content-Security-Policy"]
    script = client.get("/api/v1/docs/?script=")
    assert 'url: "/api/v1/schema/"' in script.content.decode()


OPERATIONS = [
    "/api/v1/programmes/",
    "/api/v1/programmes/{slug}/",
    "/api/v1/organisations/",
    "/api/v1/types/",
    "/api/v1/sectors/",
    "/api/v1/places/",
    "/api/v1/applicant-kinds/",
    "/api/v1/business-sizes/",
]


@pytest.fixture
def api_schema(db, today, settings):
    """The schema as the WSGI application serves it, over the demo content."""
    from directory.wsgi import application

    settings.API_REQUESTS_PER_MINUTE = 100_000
    call_command("load_demo_content", verbosity=0)
    # As Django's test client does: the WSGI handler would close the test's connection (its
    # transaction open) at the end of every request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_operation_conforms_to_its_schema(api_schema):
    """Schemathesis on every operation, with a bounded number of examples (the same on every
    run): never a 5xx, and every response's status, content type, headers and body as the
    schema documents them. One test for all of them, so that the demo content is loaded once;
    each operation is driven through Hypothesis directly (the pytest plugin's lazy schemas do
    not run under pytest 9)."""
    assert sorted(OPERATIONS) == sorted(api_schema.raw_schema["paths"])
    for path in OPERATIONS:
        operation = api_schema[path]["GET"]

        # The list has fifteen parameters; the other operations have one or two.
        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=100 if path == LIST else 15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_headers_conformance,
                    response_schema_conformance,
                ]
            )

        check()
