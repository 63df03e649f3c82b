"""Property-based fuzzing of the public pages: random and hostile addresses never give a 500, and every
HTML page that comes back is well-formed, escapes what it was sent and runs no script of the visitor's.

Hypothesis runs derandomized (the same examples on every run, so CI is repeatable). FUZZ_EXAMPLES
sets how many search requests are made (default 600; the cheaper page requests get twice as many),
about 45 s in all on SQLite; try FUZZ_EXAMPLES=20000 locally.
"""

import csv
import io
import os
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.factories import (
    ApplicantKindFactory,
    BusinessSizeFactory,
    ExchangeRateFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "600"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,  # no example database in the checkout; derandomize already makes runs repeatable
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

LANGUAGES = ["kk", "ru", "en"]
PARAMETERS = [
    "q",
    "type",
    "sector",
    "applicant",
    "business_size",
    "organisation",
    "city",
    "amount_min",
    "amount_max",
    "currency",
    "status",
    "closing_within",
    "sort",
    "page",
    "format",
]
KNOWN_SLUGS = ["film", "music", "grant", "almaty", "aktau", "mangystau-region", "fuzz-org", "fuzz-film-grant"]
HOSTILE = [
    # SQL and the PostgreSQL tsquery syntax
    "' OR 1=1 --",
    "'; DROP TABLE programmes_programme; --",
    "1) OR (1=1",
    "!:*&|()'\"",
    "film:*",
    "film & !music",
    "film | | music",
    "(((",
    ")))",
    "<->",
    "a <2> b",
    "''",
    '"',
    '"unclosed phrase',
    "-",
    "--",
    "-film",
    "or",
    "или",
    "немесе",
    "\\",
    "%",
    "_",
    "*",
    ":",
    # HTML and script
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "{{ 7*7 }}",
    "{% debug %}",
    "javascript:alert(1)",
    # Numbers that are not quite numbers
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e309",
    "-1",
    "0",
    "-0",
    "1e-400",
    "99999999999999999999999999999999",
    "5 000 000",
    "5,000,000",
    "0x10",
    "١٢٣",  # Arabic-Indic digits
    "²",
    # Whitespace and control characters
    "",
    " ",
    "\t\n",
    "\x00",
    "\x7f",
    "\u200b",
    "\ufeff",
    "\U0001f3ac",
]
# Raw pieces of a query string, sent as they are: invalid UTF-8, broken escapes, empty keys.
RAW_PIECES = ["%ff", "%c3%28", "%e2%82", "%", "%%", "%zz", "%00", "&", "=", "==", "&&", "q", "q=", "=x", ";"]

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(KNOWN_SLUGS),
    st.text(max_size=40),
    st.text(min_size=300, max_size=6000),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
pairs = st.lists(
    st.tuples(st.one_of(st.sampled_from(PARAMETERS), st.text(max_size=10)), values),
    max_size=8,
)


@st.composite
def query_strings(draw) -> str:
    pieces = [f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in draw(pairs)]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(pieces)))
        pieces.insert(position, draw(st.sampled_from(RAW_PIECES)))
    return "&".join(pieces)


EXISTING_PAGES = [
    ("programmes/", "fuzz-film-grant"),
    ("programmes/", "fuzz-music-loan"),
    ("programmes/", "fuzz-closed"),
    ("organisations/", "fuzz-org"),
    ("programmes/export.", "csv"),
    ("programmes/export.", "xlsx"),
]
slugs = st.one_of(
    st.sampled_from(KNOWN_SLUGS),
    st.sampled_from(HOSTILE),
    st.text(max_size=80),
    st.from_regex(r"[-a-zA-Z0-9_]{1,300}", fullmatch=True),
)


def url_path_segment(slug: str) -> str:
    return quote(slug, safe="") or "-"


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class WellFormed(HTMLParser):
    """Checks that every non-void element is closed in order, and collects scripts and handlers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []
        self.scripts: list[str | None] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.handlers += [f"<{tag} {name}>" for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self.scripts.append(dict(attrs).get("type"))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handlers += [f"<{tag} {name}>" for name, _ in attrs if name.startswith("on")]
        if tag not in VOID:
            self.errors.append(f"<{tag}/> is not a void element")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"</{tag}> closes a void element")
        elif not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else 'nothing'}>")
        else:
            self.open.pop()


def assert_sound(response, url):
    """No server error; HTML that is well-formed and runs none of the request's text as script."""
    assert response.status_code in (200, 404), (url, response.status_code)
    content_type = response["Content-Type"]
    if content_type.startswith("text/html"):
        html = response.content.decode()
        parser = WellFormed()
        parser.feed(html)
        parser.close()
        assert parser.errors == [], (url, parser.errors[:5])
        assert parser.open == [], (url, parser.open)
        assert parser.handlers == [], (url, parser.handlers)
        assert set(parser.scripts) <= {"application/ld+json"}, (url, parser.scripts)
        assert html.startswith("<!doctype html>")
    elif content_type.startswith("text/csv"):
        header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert header[0] in ("Title", "Название", "Атауы"), (url, header)
    else:
        assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", url
        assert response.content.startswith(b"PK"), url  # a zip: an XLSX workbook


def note_outcome(response):
    """What the examples got, for `pytest --hypothesis-show-statistics`."""
    event(f"{response.status_code} {response['Content-Type'].split(';')[0]}")


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    # Hundreds of exports from one address would be throttled (429, tested in test_security.py);
    # here every request must be answered.
    settings.EXPENSIVE_REQUESTS_PER_MINUTE = 10**9


@pytest.fixture
def catalogue(places, today):
    """A little of everything the filters and pages look at, in three languages."""
    ExchangeRateFactory(currency="USD", kzt_per_unit="500.00", valid_from="2026-01-01")
    grant = ProgrammeTypeFactory(slug="grant", name_en="Grant", name_ru="Грант", name_kk="Грант")
    film = SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино")
    music = SectorFactory(slug="music", name_en="Music", name_ru="Музыка", name_kk="Музыка")
    organisation = OrganisationFactory(slug="fuzz-org", name_en="Fuzz <Org> & Co", name_ru="Фазз «Орг»")
    common = {"organisation": organisation, "types": [grant], "applicant_kinds": [ApplicantKindFactory()]}
    ProgrammeFactory(
        slug="fuzz-film-grant",
        title_en="Film grant <b>bold</b>",
        title_ru="Грант на кино",
        title_kk="Кино гранты",
        summary_en="Up to 5 million tenge for films & shorts.",
        sectors=[film],
        locations=[places["almaty"]],
        amount_max=5_000_000,
        business_sizes=[BusinessSizeFactory()],
        **common,
    )
    ProgrammeFactory(
        slug="fuzz-music-loan",
        title_en="Music loan",
        title_ru="Музыкальный заём",
        sectors=[music],
        is_nationwide=True,
        amount_min=10_000,
        amount_max=50_000,
        currency="USD",
        deadline_type="fixed",
        opens_on="2026-02-01",
        closes_on="2026-03-20",
        **common,
    )
    ProgrammeFactory(
        slug="fuzz-closed", title_en="Closed call", deadline_type="fixed", closes_on="2026-01-01"
    )


def test_search_and_export_never_fail_and_stay_well_formed(client, catalogue):
    @FUZZ
    @given(
        language=st.sampled_from(LANGUAGES),
        page=st.sampled_from(["programmes/", "programmes/export.csv", "programmes/export.xlsx", ""]),
        query=query_strings(),
    )
    def search(language, page, query):
        url = f"/{language}/{page}"
        response = client.get(url, QUERY_STRING=query)
        note_outcome(response)
        if response.status_code == 302 and page == "programmes/":
            # Empty parameters are dropped by a redirect to the same page (views.programme_list).
            location = urlsplit(response["Location"])
            assert location.path == url, (url, query, response["Location"])
            assert all(v.strip() for vs in QueryDict(location.query).lists() for v in vs[1])
            response = client.get(url, QUERY_STRING=location.query)
        assert_sound(response, f"{url}?{query}")

    search()


def test_programme_and_organisation_pages_with_any_slug(client, catalogue):
    @settings(FUZZ, max_examples=2 * EXAMPLES)
    @given(
        language=st.sampled_from([*LANGUAGES, "de", None]),
        # Half the time a page that exists (with hostile parameters), half the time any slug.
        target=st.one_of(
            st.sampled_from(EXISTING_PAGES),
            st.tuples(st.sampled_from(["programmes/", "organisations/", "programmes/export."]), slugs),
        ),
        query=st.one_of(st.just(""), query_strings()),
    )
    def detail(language, target, query):
        kind, slug = target
        prefix = f"/{language}/" if language else "/"
        url = f"{prefix}{kind}{url_path_segment(slug)}{'' if kind.endswith('.') else '/'}"
        response = client.get(url, QUERY_STRING=query)
        note_outcome(response)
        if language is None and response.status_code in (302, 400):
            # No language: redirected to one, or a 400 when the address would grow past Django's
            # limit for a redirect (16,384 characters). Unknown addresses are a 404, as below.
            return
        if language == "de":
            assert response.status_code == 404, url
        assert_sound(response, f"{url}?{query}")

    detail()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_known_pages_pass_the_same_checks(client, catalogue, language):
    """The checks themselves see real pages: results, a programme, an organisation, a 404."""
    for url, status in [
        (f"/{language}/", 200),
        (f"/{language}/programmes/?q=%3Cscript%3E&sector=film&amount_min=NaN", 200),
        (f"/{language}/programmes/fuzz-film-grant/", 200),
        (f"/{language}/organisations/fuzz-org/", 200),
        (f"/{language}/programmes/export.csv?sector=film", 200),
        (f"/{language}/programmes/no-such-thing/", 404),
    ]:
        response = client.get(url)
        assert response.status_code == status, url
        assert_sound(response, url)


# --- Control characters already stored (#13) ---------------------------------------------------------
# Text is cleaned when saved, but rows written before that (or by raw SQL) may hold any control
# character: every exporter must still answer. Stored with QuerySet.update, which bypasses the
# cleaning, in every text field of the programme and its organisation.


def _text_fields(model, options) -> list[str]:
    from django.db import models

    translated = [f"{name}_{lang}" for name in options.fields for lang in LANGUAGES]
    plain = [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and f.name not in {"slug", *options.fields}
        and f.name not in translated
        and not f.name.startswith("search_")
        and not f.name.endswith(("_result", "_final"))
    ]
    return translated + plain


def _stored_text_cases():
    from programmes.models import Organisation, Programme
    from programmes.translation import OrganisationTranslationOptions, ProgrammeTranslationOptions

    return [("programme", f) for f in _text_fields(Programme, ProgrammeTranslationOptions)] + [
        ("organisation", f) for f in _text_fields(Organisation, OrganisationTranslationOptions)
    ]


controlled_text = st.lists(
    st.one_of(
        # Any control character but NUL, which PostgreSQL cannot store at all.
        st.characters(categories=["Cc"], exclude_characters="\x00"),
        st.sampled_from(["a", "Ж", "қ", "<b>", "&", "]]>", "=1+2", "\u2028", "\ufffd", "\U0001f3ac"]),
    ),
    min_size=1,
    max_size=12,
).map("".join)


def _every_export(client, programme, language) -> None:
    """The feed, both calendars, the public and admin exports, the JSON-LD and an email."""
    import json
    import xml.etree.ElementTree as ET

    import icalendar
    import openpyxl
    from django.core import mail

    from programmes import alerts
    from programmes.imports import formats, resource
    from programmes.models import Programme, Reminder

    feed = client.get(f"/{language}/programmes/feed.atom")
    assert feed.status_code == 200
    ET.fromstring(feed.content)  # noqa: S314 (our own feed)
    for url in (
        f"/{language}/programmes/calendar.ics",
        f"/{language}/programmes/{programme.slug}/calendar.ics",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        icalendar.Calendar.from_ical(response.content)
    xlsx = client.get(f"/{language}/programmes/export.xlsx")
    assert xlsx.status_code == 200
    openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert client.get(f"/{language}/programmes/export.csv").status_code == 200
    dataset = resource.ProgrammeResource().export(queryset=Programme.objects.all())
    for file_format in (formats.CSV(), formats.JSON()):
        file_format.export_data(dataset)
    openpyxl.load_workbook(io.BytesIO(formats.XLSX().export_data(dataset)))
    page = client.get(f"/{language}/programmes/{programme.slug}/")
    assert page.status_code == 200
    json_ld = re.search(rb'<script type="application/ld\+json"[^>]*>(.*?)</script>', page.content, re.S)
    json.loads(json_ld.group(1))
    reminder = Reminder(
        email="a@example.kz", programme=Programme.objects.get(pk=programme.pk), language=language
    )
    alerts.send_reminder(reminder, 3)
    mail.outbox[-1].message().as_bytes()


def test_stored_control_characters_never_break_an_export(client, catalogue, settings):
    from django.core.cache import cache

    from programmes.models import Organisation, Programme

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    programme = Programme.objects.get(slug="fuzz-music-loan")  # has dates: both calendars list it

    @settings_for_exports
    @given(case=st.sampled_from(_stored_text_cases()), text=controlled_text)
    def store_and_export(case, text):
        owner, field = case
        model = Programme if owner == "programme" else Organisation
        pk = programme.pk if owner == "programme" else programme.organisation_id
        limit = model._meta.get_field(field).max_length
        model.objects.filter(pk=pk).update(**{field: text[:limit] if limit else text})
        cache.clear()  # an update sends no signal: nothing cached may hide the stored text
        language = field.rsplit("_", 1)[-1] if field[-3:-2] == "_" and field[-2:] in LANGUAGES else "en"
        _every_export(client, programme, language)

    store_and_export()


settings_for_exports = settings(FUZZ, max_examples=max(30, EXAMPLES // 10))
