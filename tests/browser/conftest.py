"""Real-browser tests: Playwright (sync API) driving the system's Chromium against pytest-django's
live server.

Chromium comes from Debian (`apt-get install chromium`), never from `playwright install`, which
downloads its own build. Without it these tests are skipped (see tests/conftest.py), so `make test`
stays green on a machine that has only Python.
"""

import datetime
import os
import re

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import CHROMIUM

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers have a small /dev/shm
    "--disable-background-networking",  # no traffic but to the live server
]
# The moment the rest of the suite stops at (tests/conftest.py, `today`).
FROZEN_NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls from
    # a thread with a running loop. The tests' own ORM calls are plain synchronous code between
    # browser steps, so the check is switched off while a browser runs, and the browser stops
    # after each module so that the loop does not outlive the browser tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def frozen_today():
    # The same "today" as the rest of the suite (1 March 2026 in Almaty), but ticking: Playwright
    # waits on the clock, so a stopped clock would hang it.
    with time_machine.travel(FROZEN_NOW, tick=True):
        yield FROZEN_NOW.date()


def _load_demo_content():
    with open(os.devnull, "w") as devnull:
        call_command("load_demo_content", stdout=devnull)


@pytest.fixture(scope="module")
def _shared_demo(django_db_setup, django_db_blocker):
    """The demo content, committed once for a module's tests that only read it.

    Loading it takes seconds (7 on PostgreSQL), and so does the flush after each test that
    `transactional_db` does; a module of readers pays both once. The database is set up and left
    as a `transactional_db` test with `serialized_rollback` would: the rows of the migrations
    restored first, everything flushed after."""
    from django.db import connection

    from programmes import versioning

    with django_db_blocker.unblock():
        serialized = getattr(connection, "_test_serialized_contents", None)
        if serialized is not None:
            connection.creation.deserialize_db_from_string(serialized)
        with time_machine.travel(FROZEN_NOW, tick=True):
            _load_demo_content()
        versioning.current()  # the version row exists before the first test reads it (`demo`)
        yield
        call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=serialized is not None)
        # Closed as a transactional test closes it: opened while Playwright's event loop runs,
        # it is kept per asyncio context (asgiref's Local), where nothing else would close it
        # before the test database is dropped.
        connection.close()


def _directory_version():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT epoch, number FROM programmes_directoryversion WHERE id = 1")
        return cursor.fetchone()


@pytest.fixture
def demo(_shared_demo, django_db_blocker, frozen_today):
    """The real demo programmes, shared by the tests of a module, which only read them:
    each would otherwise load them afresh. A test that wrote to what the public pages show would
    advance the directory's version (programmes/versioning.py) and fails here, before the next
    test could see its change; a test that writes uses `own_demo`."""
    with django_db_blocker.unblock():
        before = _directory_version()
        yield
        assert _directory_version() == before, "a test on the shared demo content changed it"


@pytest.fixture
def own_demo(transactional_db, frozen_today):
    """The demo programmes for a test that changes them: loaded for this test alone, committed so
    that the live server's thread sees them, flushed after it."""
    _load_demo_content()


@pytest.fixture(autouse=True)
def _live_server_helper(request):
    """pytest-django's helper of the same name, which gives every live-server test
    `transactional_db` (its database flushed after the test); a test on the shared demo content
    (`demo`) keeps the module's committed rows instead."""
    if "live_server" not in request.fixturenames:
        yield
        return
    if "demo" not in request.fixturenames:
        request.getfixturevalue("transactional_db")
    live_server = request.getfixturevalue("live_server")
    live_server._live_server_modified_settings.enable()
    yield
    live_server._live_server_modified_settings.disable()


def _new_page(chromium, live_server, *, viewport=DESKTOP, locale="en-GB", **options):
    context = chromium.new_context(base_url=live_server.url, viewport=viewport, locale=locale, **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(chromium, live_server):
    context, page = _new_page(chromium, live_server)
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium, live_server):
    context, page = _new_page(chromium, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    yield page
    context.close()


@pytest.fixture
def new_page(chromium, live_server):
    """A factory for pages with other options (viewport, locale); all are closed after the test."""
    contexts = []

    def make(**options):
        context, page = _new_page(chromium, live_server, **options)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


def result_titles(page) -> list[str]:
    """The programme titles in the results, in order, as the reader sees them."""
    return [re.sub(r"\s+", " ", t).strip() for t in page.locator("#results .card-title").all_inner_texts()]
