import contextlib
import datetime
import os
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils import translation

from tests import factories

# A fixed "today" for every test that depends on dates: noon in Almaty on 1 March 2026.
TODAY = datetime.date(2026, 3, 1)


@receiver(connection_created)
def _version_step_per_statement(sender, connection, **kwargs):
    # Each test runs inside one transaction, where PostgreSQL's triggers would advance the
    # directory version once (programmes/versioning.py): tests write and read in turns within
    # it, as separate requests would, so here every statement is a step. One step per
    # transaction is tested on its own (test_versioning.py) and by real workers (test_workers.py).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET programmes.version_each_statement = 'on'")


@contextlib.contextmanager
def kept_for_the_module(django_db_blocker):
    """For a module-scoped fixture: what it writes inside this block (the demo content, 7 s to load
    on PostgreSQL) is seen by every test of the module, each test's own transaction nested in this
    one as a savepoint (pytest-django's `db`), and all of it is rolled back after the last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def today():
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC), tick=False):
        yield TODAY


@pytest.fixture(autouse=True)
def _empty_cache():
    # A rolled-back test rolls the directory version back too, and the next test reaches the same
    # numbers with other data: start every test with nothing kept under them. (Production never
    # keeps what it read inside a transaction of its own: versioning.Version.cacheable.)
    from django.core.cache import cache

    from programmes import index
    from programmes.search import ranking, sqlite

    cache.clear()
    index.forget()
    ranking._match_cache.clear()
    sqlite._vocabularies.clear()
    sqlite._term_name_cache.clear()


@pytest.fixture(autouse=True)
def _english_by_default():
    # Model strings in assertions are English unless a test switches language.
    with translation.override("en"):
        yield


@pytest.fixture
def places(db):
    """Almaty (a city of republican significance), Mangystau region with Aktau, Kyzylorda region
    with Kyzylorda city."""
    mangystau = factories.LocationFactory(slug="mangystau-region", kind="region", name_en="Mangystau Region")
    kyzylorda_region = factories.LocationFactory(
        slug="kyzylorda-region", kind="region", name_en="Kyzylorda Region"
    )
    return {
        "almaty": factories.LocationFactory(
            slug="almaty", name_en="Almaty", name_ru="Алматы", name_kk="Алматы"
        ),
        "mangystau-region": mangystau,
        "aktau": factories.LocationFactory(slug="aktau", parent=mangystau, name_en="Aktau"),
        "kyzylorda-region": kyzylorda_region,
        "kyzylorda": factories.LocationFactory(
            slug="kyzylorda", parent=kyzylorda_region, name_en="Kyzylorda"
        ),
    }


class _ResultTitles(HTMLParser):
    """Collects the link texts of the result cards inside the element with id="results"."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.in_title = False
        self.titles: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "results":
            self.depth = 1
        elif self.depth and tag not in {"br", "input", "img", "meta", "link"}:
            self.depth += 1
        if self.depth and tag == "h3":
            self.in_title = True
            self.titles.append("")

    def handle_endtag(self, tag):
        if self.depth and tag not in {"br", "input", "img", "meta", "link"}:
            self.depth -= 1
        if tag == "h3":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.titles[-1] += data


def titles(response) -> list[str]:
    """The programme titles listed in a page's results, in order."""
    parser = _ResultTitles()
    parser.feed(response.content.decode())
    return [re.sub(r"\s+", " ", t).strip() for t in parser.titles]


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are skipped on SQLite, and real-browser tests where Chromium is not
    installed; CI installs Chromium and runs the suite on both databases."""
    from django.conf import settings

    skip_postgres = None
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        skip_postgres = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    skip_browser = None
    if not os.access(CHROMIUM, os.X_OK):
        skip_browser = pytest.mark.skip(
            reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM=/path)"
        )
    for item in items:
        if skip_postgres and "postgres" in item.keywords:
            item.add_marker(skip_postgres)
        if skip_browser and "browser" in item.keywords:
            item.add_marker(skip_browser)


def admin_form_data(response) -> dict:
    """What the browser would post back from a rendered admin form, unchanged (its inlines too)."""
    data = _bound_values(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets") or []:
        formset = inline.formset
        data |= _bound_values(formset.management_form)
        for form in formset.forms:
            data |= _bound_values(form)
    return data


def _bound_values(form) -> dict:
    data = {}
    for name in form.fields:
        key = form.add_prefix(name)
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        elif value is None:
            data[key] = ""
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        else:
            data[key] = str(value)
    return data
