"""Security: headers and CSP, admin lockout, hostile text, hostile files, permissions, health, logs."""

import csv
import datetime
import io
import json
import logging
import os
import re
import subprocess
import sys
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import openpyxl
import pytest
import tablib
import time_machine
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import URLPattern, URLResolver, reverse

from programmes.choices import PublicationState
from programmes.imports import columns as import_columns
from programmes.imports import formats
from programmes.logs import JSONFormatter
from programmes.middleware import client_ip
from programmes.models import ImportRecord, Organisation, ProblemReport, Programme
from programmes.translation import OrganisationTranslationOptions, ProgrammeTranslationOptions
from tests.conftest import admin_form_data
from tests.factories import (
    ApplicantKindFactory,
    BusinessSizeFactory,
    ExchangeRateFactory,
    LocationFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "ru", "kk")


# --- HTML inspection ----------------------------------------------------------------------------------


class _Dangers(HTMLParser):
    """Everything in a page that could run script: script elements (other than nonced JSON-LD),
    event-handler attributes, javascript:/vbscript:/data: URLs, frames and plugins."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}

    def __init__(self, nonce: str | None):
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.found: list[str] = []
        self.json_ld: list[str] = []
        self._in_json_ld = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("type") == "application/ld+json" and attributes.get("nonce") == self.nonce:
                self._in_json_ld = True
                self.json_ld.append("")
            else:
                self.found.append(f"<script {attributes}>")
        if tag in {"iframe", "frame", "object", "embed", "base", "svg", "math"}:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in self.URL_ATTRIBUTES and value:
                plain = re.sub(r"[\x00-\x20]", "", value).lower()
                if plain.startswith(("javascript:", "vbscript:", "data:")):
                    self.found.append(f"{tag}[{name}={value}]")
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            self.found.append("meta refresh")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.json_ld[-1] += data


def dangers(response) -> list[str]:
    """What in a response could run script; the JSON-LD block must also be valid JSON."""
    nonce = _csp_nonce(response)
    parser = _Dangers(nonce)
    parser.feed(response.content.decode())
    parser.close()
    for block in parser.json_ld:
        json.loads(block)
        assert "<" not in block
    return parser.found


def _csp_nonce(response) -> str | None:
    match = re.search(r"'nonce-([^']+)'", response.get("Content-Security-Policy", ""))
    return match.group(1) if match else None


HOSTILE = [
    '<script>alert("s")</script>',
    '[click me](javascript:alert("md"))',
    '<a href="javascript:alert(1)">js</a>',
    '<a href=" JaVaScRiPt:alert(1)">case</a>',
    '<a href="java&#x09;script:alert(1)">tab</a>',
    '<p onclick="alert(1)">clicked</p>',
    "<img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example/"></iframe>',
    "<div><b>unclosed <i>tags <script>alert(2)",
    "<svg onload=alert(1)>",
    '"><script>alert(3)</script><"',
    "<scr<script>ipt>alert(4)</script>",
    '<a href="data:text/html,<script>alert(5)</script>">data</a>',
    "![x](javascript:alert(6))",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(7)">',
    "<style>body{background:url(javascript:alert(8))}</style>",
]


def _text_fields(model, options) -> list[str]:
    fields = [f"{name}_{lang}" for name in options.fields for lang in LANGUAGES]
    for field in model._meta.concrete_fields:
        is_text = field.get_internal_type() in {"CharField", "TextField", "URLField"}
        translated = field.name in options.fields or field.name in fields
        # Slugs and choices are validated identifiers, not text; search columns are derived.
        derived = field.name.startswith("search_")
        if is_text and not translated and not derived and not field.choices and field.name != "slug":
            fields.append(field.name)
    return fields


PROGRAMME_TEXT = _text_fields(Programme, ProgrammeTranslationOptions)
ORGANISATION_TEXT = _text_fields(Organisation, OrganisationTranslationOptions)


def test_the_hostile_text_reaches_every_text_field():
    # A field added later without being listed here would escape these tests.
    assert {"title_en", "description_kk", "how_to_apply_ru", "contact", "apply_url", "source_url"} <= set(
        PROGRAMME_TEXT
    )
    assert {"name_ru", "description_en", "website"} <= set(ORGANISATION_TEXT)


def _fill(obj, fields, payload):
    for field in fields:
        limit = obj._meta.get_field(field).max_length
        setattr(obj, field, payload[:limit] if limit else payload)


def _public_pages(client, programme):
    """Every public page that shows the programme or its organisation, in every language."""
    pages = []
    for lang in LANGUAGES:
        pages += [
            client.get(f"/{lang}/"),
            client.get(f"/{lang}/programmes/"),
            client.get(f"/{lang}/programmes/", {"q": "hostile"}),
            client.get(f"/{lang}/programmes/{programme.slug}/"),
            client.get(f"/{lang}/organisations/{programme.organisation.slug}/"),
        ]
    return pages


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_saved_through_the_models_never_runs(client, today, payload):
    organisation = OrganisationFactory(slug="hostile-org")
    _fill(organisation, ORGANISATION_TEXT, payload)
    organisation.save()
    programme = ProgrammeFactory(
        slug="hostile", organisation=organisation, closes_on=today + datetime.timedelta(days=5)
    )
    _fill(programme, PROGRAMME_TEXT, payload)
    programme.title_en = "hostile " + payload[:200]
    programme.save()

    pages = _public_pages(client, programme)
    assert [p.status_code for p in pages] == [200] * len(pages)
    assert all("hostile" in p.content.decode() for p in pages[1:])  # the programme is shown
    for page in pages:
        assert dangers(page) == [], page.request["PATH_INFO"]


def test_rich_text_keeps_markdown_and_safe_links(client):
    programme = ProgrammeFactory(
        slug="rich",
        description_en="Read **this** first:\n\n- one\n- two\n\n[Apply](https://example.org/apply) or "
        "<a href='mailto:grants@example.org' onclick='x()'>write</a> <a href='/relative'>here</a>",
    )
    html = client.get(f"/en/programmes/{programme.slug}/").content.decode()
    prose = re.search(r'<div class="prose">(.*?)</div>', html, re.S).group(1)
    assert prose == (
        "<p>Read <strong>this</strong> first:</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        '<p><a href="https://example.org/apply" rel="nofollow noopener">Apply</a> or '
        '<a href="mailto:grants@example.org" rel="nofollow noopener">write</a> '
        '<a rel="nofollow noopener">here</a></p>'
    )


def test_hostile_text_imported_from_a_spreadsheet_never_runs(client, today, tmp_path):
    payload = " ".join(HOSTILE)
    short = "<img src=x onerror=alert(1)><script>alert(1)</script>"
    columns = [*import_columns.TEXT_COLUMNS, "contact"]
    limited = {"title", "amount_note", "deadline_note"}
    dataset = tablib.Dataset(headers=["slug", "organisation", "state", "deadline_type", *columns])
    dataset.append(
        [
            "imported-hostile",
            "hostile " + short,
            "published",
            "rolling",
            *(
                ("hostile " + short) if c.rsplit("_", 1)[0] in limited or c == "contact" else payload
                for c in columns
            ),
        ]
    )
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(formats.XLSX().export_data(dataset))
    call_command("import_programmes", str(path), stdout=io.StringIO())
    programme = Programme.objects.get(slug="imported-hostile")
    assert programme.description_kk == payload  # stored as typed
    assert str(programme.organisation) == "hostile " + short

    pages = _public_pages(client, programme)
    assert [p.status_code for p in pages] == [200] * len(pages)
    for page in pages:
        assert dangers(page) == [], page.request["PATH_INFO"]


class _SearchBox(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name") == "q":
            self.values.append(attributes.get("value"))


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_search_box_echoes_hostile_queries_harmlessly(client, payload):
    ProgrammeFactory(title_en="Film fund")
    for lang in LANGUAGES:
        response = client.get(f"/{lang}/programmes/", {"q": payload, "page": payload})
        assert response.status_code == 200
        assert dangers(response) == []
        # Echoed in the search box exactly as typed: an attribute value, nothing more.
        box = _SearchBox()
        box.feed(response.content.decode())
        assert box.values == [payload]


@pytest.mark.parametrize("file_type", ["csv", "xlsx"])
def test_the_public_export_is_a_download_with_formulas_neutralised(client, file_type):
    ProgrammeFactory(slug="formula", title_en='=HYPERLINK("javascript:alert(1)","x")')
    ProgrammeFactory(slug="html", title_en="<script>alert(1)</script><img src=x onerror=alert(1)>")
    response = client.get(f"/en/programmes/export.{file_type}")
    assert response.status_code == 200
    # Never shown as a page: a download, with sniffing off.
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "html" not in response["Content-Type"]
    if file_type == "csv":
        cells = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        cells = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    titles = sorted(row[0] for row in cells[1:])
    # A spreadsheet runs no formula from us; the HTML is inert text in a cell.
    assert titles == [
        '\'=HYPERLINK("javascript:alert(1)","x")',
        "<script>alert(1)</script><img src=x onerror=alert(1)>",
    ]
    assert not any(str(cell).startswith(("=", "+", "-", "@")) for row in cells for cell in row)


def test_drafts_and_archived_programmes_are_never_exported_or_shown(client):
    ProgrammeFactory(slug="live", title_en="Live programme")
    ProgrammeFactory(slug="draft", title_en="Draft programme", state=PublicationState.DRAFT)
    ProgrammeFactory(slug="old", title_en="Archived programme", state=PublicationState.ARCHIVED)
    assert client.get("/en/programmes/live/").status_code == 200
    assert client.get("/en/programmes/draft/").status_code == 404
    assert client.get("/en/programmes/old/").status_code == 404
    from tests.conftest import titles

    assert titles(client.get("/en/programmes/", {"q": "programme"})) == ["Live programme"]
    assert titles(client.get("/en/programmes/", {"status": ["open", "upcoming", "closed"]})) == [
        "Live programme"
    ]
    exported = client.get("/en/programmes/export.csv", {"q": "programme"}).content.decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(exported))][1:] == ["Live programme"]
    organisation_page = client.get(
        f"/en/organisations/{Programme.objects.get(slug='draft').organisation.slug}/"
    )
    assert "Draft programme" not in organisation_page.content.decode()


# --- Headers, HTTPS, cookies, CSRF --------------------------------------------------------------------


def test_public_pages_have_a_strict_policy_and_a_nonce_for_json_ld(client):
    programme = ProgrammeFactory(slug="p")
    first = client.get(f"/en/programmes/{programme.slug}/")
    second = client.get(f"/en/programmes/{programme.slug}/")
    nonce = _csp_nonce(first)
    assert nonce
    assert nonce != _csp_nonce(second)  # a new nonce for every response
    assert policy(first) == {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    html = first.content.decode()
    assert f'<script type="application/ld+json" nonce="{nonce}">' in html
    assert html.count("<script") == 1


def policy(response) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    return dict(directives)


def test_pages_without_script_send_the_policy_without_a_nonce(client):
    public = policy(client.get("/en/programmes/"))
    assert public["script-src"] == "'self'"
    assert public["style-src"] == "'self'"


def test_the_admin_alone_allows_inline_script_and_style(client, admin_client):
    public = policy(client.get("/en/"))
    for response in (client.get("/admin/login/"), admin_client.get("/admin/programmes/programme/")):
        relaxed = policy(response)
        assert relaxed["script-src"] == "'self' 'unsafe-inline'"
        assert relaxed["style-src"] == "'self' 'unsafe-inline'"
        # Everything else is the public policy.
        assert {
            k: v for k, v in relaxed.items() if not k.endswith("-src") or k in {"img-src", "object-src"}
        } == {k: v for k, v in public.items() if not k.endswith("-src") or k in {"img-src", "object-src"}}
    assert "unsafe-inline" not in client.get("/en/")["Content-Security-Policy"]


def test_security_headers_on_https(client):
    response = client.get("/en/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_except_the_health_check(client):
    response = client.get("/en/programmes/?q=kino")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/en/programmes/?q=kino"
    assert client.get("/healthz").status_code == 200


def test_cookies_are_secure_and_http_only(client):
    User.objects.create_user("staff", password="correct horse battery", is_staff=True)
    login_page = client.get("/admin/login/")
    csrf_cookie = login_page.cookies["csrftoken"]
    assert csrf_cookie["secure"]
    assert csrf_cookie["httponly"]
    assert csrf_cookie["samesite"] == "Lax"
    response = client.post(
        "/admin/login/", {"username": "staff", "password": "correct horse battery"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]


def _post_forms(html: str) -> list[str]:
    return re.findall(r'<form[^>]*method="post"[^>]*>(.*?)</form>', html, re.S | re.I)


def test_every_post_form_carries_a_csrf_token_and_posts_without_it_are_refused(client, admin_client):
    login_forms = _post_forms(client.get("/admin/login/").content.decode())
    assert len(login_forms) == 1
    assert 'name="csrfmiddlewaretoken"' in login_forms[0]
    programme = ProgrammeFactory(slug="p")
    pages = [
        "/admin/programmes/programme/",
        f"/admin/programmes/programme/{programme.pk}/change/",
        "/admin/programmes/programme/add/",
        "/admin/programmes/programme/import/",
        "/admin/password_change/",
    ]
    for url in pages:
        html = admin_client.get(url).content.decode()
        forms = _post_forms(html)
        assert forms, url
        assert all('name="csrfmiddlewaretoken"' in form for form in forms), url
    admin_client.handler.enforce_csrf_checks = True
    response = admin_client.post(f"/admin/programmes/programme/{programme.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Programme.objects.filter(pk=programme.pk).exists()


def test_every_post_form_on_public_pages_carries_a_csrf_token(client, today):
    programme = ProgrammeFactory(slug="p", closes_on=today + datetime.timedelta(days=30))
    pages = (
        "/en/",
        "/en/programmes/",
        "/en/alerts/?sector=film",
        f"/en/programmes/{programme.slug}/",
        f"/en/programmes/{programme.slug}/report/",
    )
    forms = 0
    for url in pages:
        for form in re.findall(r"<form\b[^>]*>.*?</form>", client.get(url).content.decode(), re.S | re.I):
            if re.search(r'method="post"', form, re.I):
                forms += 1
                assert 'name="csrfmiddlewaretoken"' in form, (url, form[:200])
    assert forms >= 3  # the alert, reminder and report forms at least


def _run(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deployment_checks():
    result = _run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="q8Vf-2mZ#rT9wLx$4kPa7NbY!c3Hd6Jg0sEuQy1Ro5Wi-vB7nK2pX9",
        ALLOWED_HOSTS="funding.example.kz",
        SECURE_SSL_REDIRECT="1",
        EMAIL_URL="smtp://mailer:example@mail.example.kz:587",
        SITE_URL="https://funding.example.kz",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "errors"),
    [
        ({"SITE_URL": "https://funding.example.kz"}, ["programmes.E001"]),
        ({"SITE_URL": "https://funding.example.kz", "EMAIL_URL": "console://"}, ["programmes.E001"]),
        ({"EMAIL_URL": "smtp://m:x@mail.example.kz:587"}, ["programmes.E002"]),  # the default SITE_URL
        (
            {"EMAIL_URL": "smtp://m:x@mail.example.kz:587", "SITE_URL": "http://funding.example.kz"},
            ["programmes.E002"],
        ),
        ({"EMAIL_HOST": "mail.example.kz", "SITE_URL": "https://localhost:8443"}, ["programmes.E002"]),
        ({}, ["programmes.E001", "programmes.E002"]),
    ],
)
def test_the_deployment_checks_fail_without_real_email_or_a_public_site_url(env, errors):
    result = _run(
        "manage.py",
        "check",
        "--deploy",
        SECRET_KEY="q8Vf-2mZ#rT9wLx$4kPa7NbY!c3Hd6Jg0sEuQy1Ro5Wi-vB7nK2pX9",
        ALLOWED_HOSTS="funding.example.kz",
        **env,
    )
    assert result.returncode == 1
    assert re.findall(r"\(programmes\.E00\d\)", result.stderr) == [f"({e})" for e in errors]


def test_the_admin_moves_to_admin_url():
    result = _run(
        "manage.py",
        "shell",
        "-c",
        "from django.urls import reverse, resolve, Resolver404\n"
        "print(reverse('admin:index'))\n"
        "try:\n    resolve('/admin/'); print('still at /admin/')\n"
        "except Resolver404:\n    print('gone')",
        SECRET_KEY="k" * 50,
        ADMIN_URL="/back-office-7f3/",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["/back-office-7f3/", "gone"]


# --- Admin login lockout (django-axes) ----------------------------------------------------------------


def _login(client, username, password, address):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="ru",
    )


def test_repeated_failures_lock_out_that_username_from_that_address(client, settings):
    User.objects.create_user("alice", password="alice-real-pass", is_staff=True)
    User.objects.create_user("bob", password="bob-real-pass", is_staff=True)
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC), tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = _login(client, "alice", "wrong", "10.0.0.1")
            assert response.status_code == 200  # the form again, with Django's message
        locked = _login(client, "alice", "wrong", "10.0.0.1")
        assert locked.status_code == 429
        # The right password is refused too, until the cool-off ends.
        refused = _login(client, "alice", "alice-real-pass", "10.0.0.1")
        assert refused.status_code == 429
        html = refused.content.decode()
        assert "Слишком много неудачных попыток входа" in html
        assert "заблокирован на 15 минут после 5 неверных паролей" in html
        assert "_auth_user_id" not in client.session

        # Someone else at that address, and alice elsewhere, are not affected.
        assert _login(client, "bob", "bob-real-pass", "10.0.0.1").status_code == 302
        client.logout()
        assert _login(client, "alice", "alice-real-pass", "10.0.0.2").status_code == 302
        client.logout()

        clock.shift(datetime.timedelta(minutes=14))
        assert _login(client, "alice", "alice-real-pass", "10.0.0.1").status_code == 429
        clock.shift(datetime.timedelta(minutes=2))
        response = _login(client, "alice", "alice-real-pass", "10.0.0.1")
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(User.objects.get(username="alice").pk)


def test_lockout_page_in_kazakh(client, settings):
    User.objects.create_user("alice", password="alice-real-pass", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong", "10.0.0.1")
    response = client.post(
        "/admin/login/",
        {"username": "alice", "password": "x"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="kk",
    )
    assert response.status_code == 429
    assert "Кіру әрекеттері тым көп сәтсіз болды" in response.content.decode()


def test_client_address_behind_our_proxy_is_the_one_it_appended(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "10.1.1.1"  # no proxy configured: the header is not trusted
    settings.BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.7"
    # Behind the proxy but without the header (a probe from the proxy host itself): REMOTE_ADDR.
    assert client_ip(rf.get("/", REMOTE_ADDR="10.1.1.1")) == "10.1.1.1"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=" , ")) == "10.1.1.1"


def test_admin_lockout_counts_the_forwarded_address_behind_our_proxy(client, settings):
    settings.BEHIND_PROXY = True
    User.objects.create_user("alice", password="alice-real-pass", is_staff=True)

    def login(password, forwarded_for):
        return client.post(
            "/admin/login/",
            {"username": "alice", "password": password},
            REMOTE_ADDR="10.0.0.1",  # the proxy, for everyone
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("wrong", "6.6.6.6, 203.0.113.7")  # the first entry is the client's own, and ignored
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]
    assert login("alice-real-pass", "203.0.113.7").status_code == 429
    # Alice from another address behind the same proxy is not locked out.
    assert login("alice-real-pass", "203.0.113.8").status_code == 302


# --- Hostile files ------------------------------------------------------------------------------------


def _zip_bomb(names=("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml")) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names[:-1]:
            archive.writestr(name, "<x/>")
        # 40 MB of one byte packs into about 40 kB.
        archive.writestr(names[-1], b"<" + b"a" * (40 * 1024 * 1024))
    return buffer.getvalue()


def _wide_xlsx(columns: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([f"c{i}" for i in range(columns)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx(rows, *, dimension: str | None = None, far_cell: bool = False) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if far_cell:
        sheet.cell(row=1_048_576, column=1, value="far away")
    buffer = io.BytesIO()
    book.save(buffer)
    if dimension is None:
        return buffer.getvalue()
    # Rewrite the declared size, as a hostile or broken generator would.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', f'<dimension ref="{dimension}"'.encode(), data)
            target.writestr(item, data)
    return out.getvalue()


GOOD_ROW = ["film-grant", "Film grant", "Almaty Creative"]
HEADER = ["slug", "title_en", "organisation"]

TOO_BIG = "The file is 5.0\xa0MB; files of up to 5.0\xa0MB can be imported. Split it into smaller files."
NOT_UTF8 = "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
BOMB = (
    "The file would unpack to more than 64.0\xa0MB, or is packed far more tightly than a spreadsheet is: "
    "it is not imported."
)
NOT_XLSX = "The file could not be read as XLSX: it may be damaged or of another type."
NOT_ODS = "The file could not be read as ODS: it may be damaged or of another type."
COLUMNS = "The file has more than 200 columns. Delete the columns that are not in the import template and upload it again."
ROWS = "The file has more than 20,000 rows. Split it into smaller files."

HOSTILE_FILES = {
    "zip bomb as xlsx": ("list.xlsx", _zip_bomb, BOMB),
    "zip bomb as ods": ("list.ods", lambda: _zip_bomb(("mimetype", "content.xml")), BOMB),
    "garbage as xlsx": ("list.xlsx", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, NOT_XLSX),
    "garbage as ods": ("list.ods", lambda: os.urandom(4096), NOT_ODS),
    "garbage as csv": ("list.csv", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, NOT_UTF8),
    "cp1251 csv": ("list.csv", lambda: "slug,title_ru\nx,Кинофонд\n".encode("cp1251"), NOT_UTF8),
    "utf-16 csv": ("list.csv", lambda: "slug,title_ru\nx,Кинофонд\n".encode("utf-16"), NOT_UTF8),
    "utf-16 csv without bom": ("list.csv", lambda: "slug,title_en\nx,Film\n".encode("utf-16-le"), NOT_UTF8),
    "10,000 columns csv": (
        "list.csv",
        lambda: (",".join(f"c{i}" for i in range(10_000)) + "\n").encode(),
        COLUMNS,
    ),
    "10,000 columns xlsx": ("list.xlsx", lambda: _wide_xlsx(10_000), COLUMNS),
    "20,001 rows csv": (
        "list.csv",
        lambda: ("slug,title_en,organisation\n" + "x,y,z\n" * 20_001).encode(),
        ROWS,
    ),
    "a cell at A1048576": ("list.xlsx", lambda: _xlsx([HEADER, GOOD_ROW], far_cell=True), ROWS),
    "over 5 MB": ("list.csv", lambda: b"slug,title_en\n" + b"x" * (5 * 1024 * 1024), TOO_BIG),
}


@pytest.fixture
def english_admin(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


FORMAT_INDEX = {"xlsx": 0, "csv": 1, "ods": 2, "json": 3}


def _upload(client, content: bytes, name: str):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(
        reverse("admin:programmes_programme_import"),
        {"import_file": upload, "format": FORMAT_INDEX[name.rsplit(".", 1)[1]]},
    )


def _import_errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].errors.get("import_file", [])]


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_hostile_files_are_refused_with_a_message_in_the_admin(english_admin, case):
    name, make, message = HOSTILE_FILES[case]
    content = make()
    started = time.monotonic()
    response = _upload(english_admin, content, name)
    assert time.monotonic() - started < 20
    assert response.status_code == 200
    assert _import_errors(response) == [message]
    assert not Programme.objects.exists()


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_hostile_files_are_refused_with_a_message_on_the_command_line(tmp_path, case):
    name, make, message = HOSTILE_FILES[case]
    path = tmp_path / name
    path.write_bytes(make())
    started = time.monotonic()
    with pytest.raises(CommandError) as error:
        call_command("import_programmes", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert time.monotonic() - started < 20
    assert str(error.value) == message
    assert not Programme.objects.exists()


def test_the_file_size_message_in_russian(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (6 * 1024 * 1024))
    with pytest.raises(CommandError) as error:
        call_command("import_programmes", str(path), "--language", "ru", stdout=io.StringIO())
    assert str(error.value) == (
        "Файл занимает 6,0\xa0МБ, а импортировать можно файлы до 5,0\xa0МБ. Разделите его на несколько файлов."
    )


def test_a_huge_declared_dimension_is_not_trusted(tmp_path):
    OrganisationFactory(slug="almaty-creative", name_en="Almaty Creative")
    path = tmp_path / "list.xlsx"
    path.write_bytes(_xlsx([HEADER, GOOD_ROW], dimension="A1:XFD1048576"))
    started = time.monotonic()
    out = io.StringIO()
    call_command("import_programmes", str(path), stdout=out)
    assert time.monotonic() - started < 10
    assert "created: 1, updated: 0, unchanged: 0, errors: 0" in out.getvalue()
    assert list(Programme.objects.values_list("slug", "title_en")) == [("film-grant", "Film grant")]


def test_blank_rows_keep_the_sheets_row_numbers(tmp_path):
    dataset = formats.XLSX().create_dataset(_xlsx([HEADER, GOOD_ROW, [None, None, None], ["b", "B", "o"]]))
    assert [row[0] for row in dataset] == ["film-grant", None, "b"]


# --- Permissions ----------------------------------------------------------------------------------------


def _admin_urls(resolver=None, prefix="/admin/"):
    """Every URL pattern of the admin site, as (name, route) pairs."""
    resolver = resolver or URLResolver(r"^/", admin.site.get_urls())
    found = []
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _admin_urls(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            found.append((pattern.name, prefix + route))
    return found


def _fill_route(route: str, objects: dict) -> str:
    model_path = re.match(r"/admin/(\w+)/(\w+)/", route)
    obj = objects.get(model_path.groups()) if model_path else None
    route = route.replace("<path:object_id>", str(obj.pk) if obj else "1")
    route = route.replace("<int:object_id>", str(obj.pk) if obj else "1")
    if "([^/]+)/history/([^/]+)" in route:  # simple-history's version page (a regular expression)
        version = obj.history.first().history_id if obj is not None and hasattr(obj, "history") else 1
        route = route.replace("([^/]+)/history/([^/]+)", f"{obj.pk if obj else 1}/history/{version}")
    route = route.replace("<int:content_type_id>", "1").replace("<path:object_id>", "1")
    route = re.sub(r"\(\?P<app_label>[^)]+\)", "programmes", route)
    route = route.replace("<path:url>", "x")
    return route.replace("^", "").replace("$", "").replace("\\Z", "")


# Views any signed-in staff member may open: their own password, the language catalogue for the
# admin's JavaScript, the (empty) index, signing in (which sends them to the index) and out.
OPEN_TO_ANY_STAFF = {"index", "password_change", "password_change_done", "jsi18n", "login", "logout"}


def _sign_in_with_a_row_of_every_admin_model(client, username: str) -> dict:
    """Sign ``username`` (staff, no rights) in, with one row of every model the admin shows.

    An object that does not exist gets a redirect before any permission check: every registered
    model needs a real row for its change, delete and history pages to be tested. Returns the rows
    by (app label, model name)."""
    programme = ProgrammeFactory(
        slug="p",
        types=[ProgrammeTypeFactory()],
        sectors=[SectorFactory()],
        locations=[LocationFactory()],
        applicant_kinds=[ApplicantKindFactory()],
        business_sizes=[BusinessSizeFactory()],
    )
    ImportRecord.objects.create(file_name="x.xlsx")
    ProblemReport.objects.create(programme=programme, message="The deadline moved.")
    ExchangeRateFactory()
    staff = User.objects.create_user(username, password="x", is_staff=True)
    # A failed and a successful sign-in give django-axes' own admin pages a row each.
    client.post("/admin/login/", {"username": "ghost", "password": "wrong"}, REMOTE_ADDR="10.0.0.5")
    client.post("/admin/login/", {"username": username, "password": "x"}, REMOTE_ADDR="10.0.0.5")
    assert client.session["_auth_user_id"] == str(staff.pk)
    objects = {(m._meta.app_label, m._meta.model_name): m.objects.first() for m in admin.site._registry}
    assert [key for key, obj in objects.items() if obj is None] == []
    return objects


def test_a_staff_member_without_rights_reaches_no_admin_page(client, settings):
    objects = _sign_in_with_a_row_of_every_admin_model(client, "nobody")
    urls = _admin_urls()
    names = {name for name, _route in urls}
    # Every registered model's views, the import/export views and our own view were found.
    for label, model_name in objects:
        for view in ("changelist", "add", "change", "delete", "history"):
            assert f"{label}_{model_name}_{view}" in names
    assert {"programmes_programme_import", "programmes_programme_process_import"} <= names
    assert "programmes_programme_import_template" in names

    checked = []
    for name, route in urls:
        if name in OPEN_TO_ANY_STAFF:
            continue
        url = _fill_route(route, objects)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            for _hop in range(3):
                # Addresses that forward within the admin (the old "<id>/" to "<id>/change/", the
                # review queue to the programme's own page) must lead to a refusal.
                location = response.get("Location", "") if response.status_code == 302 else ""
                if not location.startswith("/admin/") or location.startswith("/admin/login/"):
                    break
                assert name is None or "programmetoreview" in url, (name, url, location)
                response = getattr(client, method)(location)
            login = response.status_code == 302 and response["Location"].startswith("/admin/login/")
            # 405: a view for the other method refuses before looking at anything.
            assert response.status_code in (403, 404, 405) or login, (name, method, url, response.status_code)
            if response.status_code == 404:
                # Only the catch-all (unknown admin address), an app's index (Django answers 404
                # when none of its models is visible) and the view-on-site shortcut (no such
                # object here) may answer 404.
                assert name in {None, "app_list", "view_on_site"}, (name, url)
            checked.append(name)
    assert len(set(checked)) >= 8 * 5 + 4
    assert Programme.objects.filter(slug="p").exists()


def _every_row() -> dict:
    """The whole content of every model the admin shows, of their history and of the admin log."""
    models = [*admin.site._registry, LogEntry, Programme.history.model, Organisation.history.model]
    return {model._meta.label: list(model._base_manager.order_by("pk").values()) for model in models}


def test_a_staff_member_who_may_only_view_changes_nothing(client, admin_client):
    objects = _sign_in_with_a_row_of_every_admin_model(client, "viewer")
    viewer = User.objects.get(username="viewer")
    content_types = ContentType.objects.get_for_models(*admin.site._registry).values()
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__startswith="view_", content_type__in=content_types)
    )
    # They may look: the programme's page and its history list open.
    programme = objects[("programmes", "programme")]
    assert client.get(f"/admin/programmes/programme/{programme.pk}/change/").status_code == 200
    assert client.get(f"/admin/programmes/programme/{programme.pk}/history/").status_code == 200
    before = _every_row()

    urls = _admin_urls()
    # Pages that only show: an app's index, a list (posted without an action), a history list.
    show_only = {"app_list"} | {
        name for name, _ in urls if name and name.endswith(("_changelist", "_history"))
    }
    show_only -= {name for name, _ in urls if name and name.endswith("_simple_history")}
    refused = []
    odd = []
    for name, route in urls:
        if name in OPEN_TO_ANY_STAFF:
            continue
        url = _fill_route(route, objects)
        # What someone allowed to change would post: the page's own form (a version page's form
        # reverts to that version), or nothing where the page has no such form.
        page = admin_client.get(url, follow=True)
        data = admin_form_data(page) if page.context and "adminform" in page.context else {}
        response = client.post(url, data)
        for _hop in range(3):  # the old "<id>/" address forwards to "<id>/change/"
            location = response.get("Location", "") if response.status_code == 302 else ""
            if not location.startswith("/admin/") or location.startswith("/admin/login/") or location == url:
                break
            response = client.post(location, data)
        login = response.status_code == 302 and response["Location"].startswith("/admin/login/")
        shown = response.status_code in (200, 302) and name in show_only
        if not (response.status_code in (403, 404, 405) or login or shown):
            odd.append((name, url, response.status_code))
        if response.status_code == 403:
            refused.append(name)
    assert odd == []
    assert {"programmes_programme_simple_history", "programmes_organisation_simple_history"} <= set(refused)
    assert {"programmes_programme_change", "programmes_organisation_change"} <= set(refused)
    assert _every_row() == before


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    programme = ProgrammeFactory(slug="p")
    for url in (
        "/admin/",
        "/admin/programmes/programme/",
        f"/admin/programmes/programme/{programme.pk}/change/",
        "/admin/programmes/programme/import/",
        "/admin/programmes/programme/import-template/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return user


def test_editors_change_but_never_delete(client, editor):
    programme = ProgrammeFactory(slug="p")
    organisation = programme.organisation
    assert client.get(f"/admin/programmes/programme/{programme.pk}/change/").status_code == 200
    assert client.get(f"/admin/programmes/organisation/{organisation.pk}/change/").status_code == 200
    for url in (
        f"/admin/programmes/programme/{programme.pk}/delete/",
        f"/admin/programmes/organisation/{organisation.pk}/delete/",
    ):
        assert client.post(url, {"post": "yes"}).status_code == 403
    response = client.post(
        "/admin/programmes/programme/", {"action": "delete_selected", "_selected_action": [programme.pk]}
    )
    assert Programme.objects.filter(pk=programme.pk).exists()
    assert response.status_code in (200, 302)


def test_import_and_export_need_their_own_permissions(client):
    programme = ProgrammeFactory(slug="p")
    user = User.objects.create_user("changer", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_programme", "change_programme", "add_programme"])
    )
    client.force_login(user)
    assert client.get("/admin/programmes/programme/").status_code == 200
    assert client.get("/admin/programmes/programme/import/").status_code == 403
    assert client.get("/admin/programmes/programme/import-template/").status_code == 403
    changelist = client.get("/admin/programmes/programme/")
    actions = [name for name, _label in changelist.context["action_form"].fields["action"].choices]
    assert "export_admin_action" not in actions
    response = client.post(
        "/admin/programmes/programme/",
        {"action": "export_admin_action", "_selected_action": [programme.pk]},
    )
    assert response.status_code == 302  # back to the list ("no action selected"), no file
    assert "Content-Disposition" not in response
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["import_programme", "export_programme"])
    )
    client.force_login(User.objects.get(pk=user.pk))
    assert client.get("/admin/programmes/programme/import/").status_code == 200
    response = client.post(
        "/admin/programmes/programme/",
        {"action": "export_admin_action", "_selected_action": [programme.pk], "format": 1},
    )
    assert response.status_code == 200
    assert "export_admin_action" in [
        name
        for name, _label in client.get("/admin/programmes/programme/")
        .context["action_form"]
        .fields["action"]
        .choices
    ]


# --- /healthz -----------------------------------------------------------------------------------------


def test_health_check_is_cheap_plain_and_never_cached(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 1
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


def test_health_check_reports_an_unreachable_database(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error"}
    assert "connection refused" not in response.content.decode()


def test_health_check_is_outside_the_language_prefix(client):
    assert reverse("healthz") == "/healthz"
    assert client.get("/en/healthz").status_code == 404


# --- Structured logs --------------------------------------------------------------------------------------


def test_formatter_writes_one_json_object_with_extra_fields_and_the_exception():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info(), extra={"rows": 3}
        )
    record.request = object()  # Django's error records carry the request: never written out
    line = JSONFormatter().format(record)
    assert "\n" not in line.split('"exception"')[0]
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "x"
    assert entry["message"] == "failed here"
    assert entry["rows"] == 3
    assert entry["exception"].startswith("Traceback")
    assert "ValueError: broken" in entry["exception"]
    assert "request" not in entry
    assert datetime.datetime.fromisoformat(entry["time"]).tzinfo is not None


def test_requests_are_logged_without_their_query_string(client, caplog):
    user = User.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="directory.request"):
        client.get("/en/programmes/", {"q": "aigerim@example.kz", "password": "secret"})
    (record,) = [r for r in caplog.records if r.name == "directory.request"]
    line = JSONFormatter().format(record)
    assert "aigerim" not in line
    assert "secret" not in line
    entry = json.loads(line)
    assert (entry["method"], entry["path"], entry["status"], entry["user_id"]) == (
        "GET",
        "/en/programmes/",
        200,
        user.pk,
    )
    assert isinstance(entry["duration_ms"], float)


def test_an_import_logs_one_record(tmp_path, caplog):
    OrganisationFactory(slug="almaty-creative", name_en="Almaty Creative")
    importer = User.objects.create_user("importer", password="x")
    # Creating programmes needs the add right (#13), on the command line too.
    importer.user_permissions.add(Permission.objects.get(codename="add_programme"))
    path = tmp_path / "list.csv"
    path.write_text(
        "slug,title_en,organisation\nfilm-grant,Film grant,almaty-creative\nb,B,almaty-creative\n"
    )
    with caplog.at_level(logging.INFO, logger="directory.import"):
        call_command("import_programmes", str(path), "--user", "importer", stdout=io.StringIO())
    (record,) = [r for r in caplog.records if r.name == "directory.import"]
    entry = json.loads(JSONFormatter().format(record))
    assert {
        k: entry[k] for k in ("file_name", "rows", "new", "updated", "unchanged", "errors", "dry_run")
    } == {
        "file_name": "list.csv",
        "rows": 2,
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": 0,
        "dry_run": False,
    }
    assert entry["user_id"] == User.objects.get(username="importer").pk
    assert entry["duration_ms"] >= 0


def test_a_server_error_is_logged_once_with_its_traceback_and_without_the_query(client, caplog):
    client.raise_request_exception = False
    with (
        mock.patch.object(Programme.objects, "published", side_effect=RuntimeError("database on fire")),
        caplog.at_level(logging.INFO),
    ):
        response = client.get("/en/", {"email": "aigerim@example.kz"})
    assert response.status_code == 500
    errors = [json.loads(JSONFormatter().format(r)) for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    (error,) = errors
    assert error["logger"] == "django.request"
    assert error["message"] == "Internal Server Error: /en/"
    assert error["status_code"] == 500
    assert "RuntimeError: database on fire" in error["exception"]
    assert "aigerim" not in json.dumps(error)


# --- Second round (#13): import permissions -----------------------------------------------------------


def _staff(client, *codenames):
    user = User.objects.create_user("importer", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _preview_messages(response) -> list[str]:
    return list(response.context["result"].messages)


def test_the_import_permission_alone_writes_nothing(client):
    OrganisationFactory(slug="org", name_en="Org")
    ProgrammeFactory(slug="known", title_en="Known title")
    _staff(client, "view_programme", "import_programme")
    content = _csv(
        "slug,title_en,organisation,state",
        "fresh,Fresh,org,published",
        "known,Replaced title,org,",
    )
    response = _upload(client, content, "list.csv")
    assert _preview_messages(response) == [
        "Row 2: You may not add programmes; this row would create one.",
        "Row 2, column “state”: You may not publish programmes. (value: “published”)",
        "Row 3: You may not change programmes; this row would change one.",
    ]
    assert response.context.get("confirm_form") is None
    assert list(Programme.objects.values_list("slug", "title_en", "state")) == [
        ("known", "Known title", "published")
    ]


def test_adding_without_the_change_right_may_create_drafts_but_not_publish(client):
    OrganisationFactory(slug="org", name_en="Org")
    _staff(client, "view_programme", "import_programme", "add_programme")
    response = _upload(
        client, _csv("slug,title_en,organisation,state", "d,Draft,org,", "p,Pub,org,published"), "l.csv"
    )
    assert _preview_messages(response) == [
        "Row 3, column “state”: You may not publish programmes. (value: “published”)"
    ]
    response = _upload(client, _csv("slug,title_en,organisation", "d,Draft,org"), "l.csv")
    assert _preview_messages(response) == []
    assert response.context["confirm_form"] is not None


def test_unchanged_rows_need_no_change_right_and_new_organisations_need_their_add_right(client):
    OrganisationFactory(slug="org", name_en="Org")
    ProgrammeFactory(slug="known", title_en="Known", organisation=Organisation.objects.get(slug="org"))
    _staff(client, "view_programme", "import_programme", "add_programme", "change_programme")
    response = _upload(
        client, _csv("slug,title_en,organisation", "known,Known,org", "n,New,Nobody Yet"), "l.csv"
    )
    assert _preview_messages(response) == [
        "Row 3, column “organisation”: “Nobody Yet” is not a known organisation, and you may not add "
        "organisations."
    ]
    assert list(Organisation.objects.values_list("slug", flat=True)) == ["org"]


def test_the_command_line_user_obeys_the_same_rules(tmp_path):
    OrganisationFactory(slug="org", name_en="Org")
    user = User.objects.create_user("clerk", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["import_programme", "add_programme"]))
    path = tmp_path / "list.csv"
    path.write_bytes(_csv("slug,title_en,organisation,state", "p,Pub,org,published"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was saved"):
        call_command("import_programmes", str(path), "--user", "clerk", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "Row 2, column “state”: You may not publish programmes. (value: “published”)"
    ]
    assert not Programme.objects.exists()
    # Without --user the command runs with the rights of whoever has the server (as before).
    call_command("import_programmes", str(path), stdout=io.StringIO())
    assert list(Programme.objects.values_list("slug", "state")) == [("p", "published")]


# --- Second round (#13): the uploaded file between preview and confirmation --------------------------


def _confirm(client, name, format_index=1):
    return client.post(
        reverse("admin:programmes_programme_process_import"),
        {"import_file_name": name, "original_file_name": "list.csv", "format": format_index},
        follow=True,
    )


NOT_WAITING = (
    "This file is no longer waiting to be imported (it was imported already, or the preview is too "
    "old). Upload it again."
)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("kind", ["relative", "climbing", "absolute", "empty", "unknown"])
def test_the_confirmation_never_reads_or_deletes_a_file_it_did_not_offer(english_admin, tmp_path, kind):
    import tempfile

    OrganisationFactory(slug="org", name_en="Org")
    victim = tmp_path / "victim.csv"
    victim.write_text("slug,title_en,organisation\nx,Planted,org\n")
    relative = os.path.relpath(victim, tempfile.gettempdir())
    name = {
        "relative": relative,
        "climbing": "../../" + relative,
        "absolute": str(victim),
        "empty": "",
        "unknown": "0" * 32,
    }[kind]
    response = _confirm(english_admin, name)
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("admin:programmes_programme_import"), 302)]
    assert _messages(response) == [NOT_WAITING]
    assert victim.exists()
    assert not Programme.objects.exists()


def test_an_offered_file_is_confirmed_once_and_only_by_its_session(english_admin, client):
    OrganisationFactory(slug="org", name_en="Org")
    preview = _upload(english_admin, _csv("slug,title_en,organisation", "a,A,org"), "list.csv")
    name = preview.context["confirm_form"].initial["import_file_name"]
    assert re.fullmatch(r"[0-9a-f]{32}", name)
    # Another staff member with every right cannot confirm (or delete) this session's file.
    other = User.objects.create_superuser("other", "other@example.kz", "x")
    client.force_login(other)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert _messages(_confirm(client, name)) == [NOT_WAITING]
    assert not Programme.objects.exists()
    response = _confirm(english_admin, name)
    assert _messages(response) == ["Import finished: 1 new, 0 updated, 0 unchanged."]
    assert list(Programme.objects.values_list("slug", flat=True)) == ["a"]
    assert _messages(_confirm(english_admin, name)) == [NOT_WAITING]


def test_a_vanished_upload_is_a_message_not_a_server_error(english_admin):
    from programmes import uploads

    OrganisationFactory(slug="org", name_en="Org")
    preview = _upload(english_admin, _csv("slug,title_en,organisation", "a,A,org"), "list.csv")
    name = preview.context["confirm_form"].initial["import_file_name"]
    (uploads.folder() / name).unlink()
    assert _messages(_confirm(english_admin, name)) == [NOT_WAITING]
    assert not Programme.objects.exists()


# --- Second round (#13): control characters are cleaned when text is saved -------------------------


CONTROLLED = "Film\x1b grant\x0b\x00 with\ttab\r\nand \x7fbreak\x9b"
CLEANED = "Film grant with\ttab\r\nand break"


def test_control_characters_are_cleaned_when_a_model_is_saved():
    programme = ProgrammeFactory(title_en=CONTROLLED, description_ru=CONTROLLED, contact=CONTROLLED)
    programme.organisation.name_en = CONTROLLED
    programme.organisation.save()
    stored = Programme.objects.values_list("title_en", "description_ru", "contact").get()
    assert stored == (CLEANED, CLEANED, CLEANED)
    assert Organisation.objects.get().name_en == CLEANED


def test_control_characters_are_cleaned_in_the_admin_and_in_imports(admin_client, tmp_path):
    programme = ProgrammeFactory(slug="p", title_en="Before", types=[ProgrammeTypeFactory()])
    url = reverse("admin:programmes_programme_change", args=[programme.pk])
    data = admin_form_data(admin_client.get(url)) | {"title_en": "Admin\x1b title", "summary_kk": "a\x0bb"}
    assert admin_client.post(url, data).status_code == 302
    assert Programme.objects.values_list("title_en", "summary_kk").get() == ("Admin title", "ab")

    path = tmp_path / "list.csv"
    path.write_text(f"slug,title_en,organisation\np,Imported\x1b\x0c title,{programme.organisation.slug}\n")
    call_command("import_programmes", str(path), stdout=io.StringIO())
    assert Programme.objects.get().title_en == "Imported title"
    # The stored text is already clean: importing the same file again changes nothing.
    out = io.StringIO()
    call_command("import_programmes", str(path), stdout=out)
    assert "created: 0, updated: 0, unchanged: 1, errors: 0" in out.getvalue()


def test_control_characters_are_cleaned_from_public_suggestions_and_reports(client):
    from programmes import spam

    programme = ProgrammeFactory(slug="p")
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)) as clock:
        token = spam.issue_token()
        clock.shift(10)
        response = client.post(
            "/en/suggest/",
            {
                "issued": token,
                "homepage": "",
                "name": "Kino\x1b grant",
                "organisation": "Studio\x0b",
                "website": "https://example.kz/",
                "offers": "Money\x07\nfor films",
            },
        )
        assert response["Location"] == "/en/suggest/thanks/"
        token = spam.issue_token()  # a form load is good for one submission
        clock.shift(10)
        client.post(
            f"/en/programmes/{programme.slug}/report/",
            {"issued": token, "homepage": "", "message": "Wrong\x1b date"},
        )
    suggested = Programme.objects.get(is_public_suggestion=True)
    assert (suggested.title_en, suggested.suggested_organisation, suggested.description_en) == (
        "Kino grant",
        "Studio",
        "Money\nfor films",
    )
    assert ProblemReport.objects.get().message == "Wrong date"


# --- Second round (#13): headers and the admin's sign-in ----------------------------------------------


def test_every_response_carries_a_permissions_policy(client):
    for response in (client.get("/en/"), client.get("/healthz"), client.get("/en/no-such-page/")):
        assert response["Permissions-Policy"] == (
            "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
            "magnetometer=(), microphone=(), payment=(), usb=(), browsing-topics=()"
        )


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_an_unsafe_next_after_admin_sign_in_leads_to_the_admin_index(client, next_url):
    User.objects.create_superuser("boss", "boss@example.kz", "correct horse")
    response = client.post(
        f"/admin/login/?next={next_url}", {"username": "boss", "password": "correct horse", "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_a_safe_next_after_admin_sign_in_is_followed(client):
    User.objects.create_superuser("boss", "boss@example.kz", "correct horse")
    response = client.post(
        "/admin/login/",
        {"username": "boss", "password": "correct horse", "next": "/admin/programmes/programme/"},
    )
    assert response["Location"] == "/admin/programmes/programme/"


NEW_MESSAGES = [
    "You may not add programmes; this row would create one.",
    "You may not change programmes; this row would change one.",
    "You may not publish programmes.",
    "“%(name)s” is not a known organisation, and you may not add organisations.",
    "This file is no longer waiting to be imported (it was imported already, or the preview is too old). "
    "Upload it again.",
    "Too many feeds, calendars, downloads or sitemaps from your address. Please try again in a minute.",
]


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_second_rounds_messages_are_translated(language):
    from django.utils import translation

    with translation.override(language):
        translated = [translation.gettext(message) for message in NEW_MESSAGES]
    assert [t for t, m in zip(translated, NEW_MESSAGES, strict=True) if t == m] == []


def test_refused_import_rows_are_explained_in_the_staff_members_language(tmp_path):
    OrganisationFactory(slug="org", name_en="Org")
    user = User.objects.create_user("clerk", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="import_programme"))
    path = tmp_path / "list.csv"
    path.write_bytes(_csv("slug,title_en,organisation", "p,Pub,org"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_programmes",
            str(path),
            "--user",
            "clerk",
            "--language",
            "ru",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert err.getvalue().splitlines() == [
        "Строка 2: Вы не можете добавлять программы, а эта строка создала бы новую."
    ]


def test_a_server_error_on_a_subscription_link_logs_no_token(client, caplog):
    client.raise_request_exception = False
    secret = "s3cr3t-Token_value"
    with (
        mock.patch("programmes.alerts.find_subscription", side_effect=RuntimeError("database on fire")),
        caplog.at_level(logging.INFO),
    ):
        response = client.get(f"/en/alerts/unsubscribe/{secret}/")
    assert response.status_code == 500
    lines = [JSONFormatter().format(r) for r in caplog.records]
    assert [json.loads(line)["message"] for line in lines if "ERROR" in line] == [
        "Internal Server Error: /en/alerts/unsubscribe/[token]/"
    ]
    assert not any(secret in line for line in lines)


def test_files_of_previews_never_confirmed_are_removed_a_day_later(english_admin):
    from programmes import uploads

    OrganisationFactory(slug="org", name_en="Org")
    old = _upload(english_admin, _csv("slug,title_en,organisation", "a,A,org"), "list.csv")
    old_path = uploads.folder() / old.context["confirm_form"].initial["import_file_name"]
    stranger = uploads.folder() / "not-ours.txt"
    stranger.write_text("x")
    day_ago = time.time() - uploads.MAX_AGE_SECONDS - 60
    os.utime(old_path, (day_ago, day_ago))
    os.utime(stranger, (day_ago, day_ago))
    try:
        new = _upload(english_admin, _csv("slug,title_en,organisation", "b,B,org"), "list.csv")
        new_path = uploads.folder() / new.context["confirm_form"].initial["import_file_name"]
        assert (old_path.exists(), new_path.exists(), stranger.exists()) == (False, True, True)
    finally:
        stranger.unlink()
