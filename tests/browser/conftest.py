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
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC), tick=True):
        yield datetime.date(2026, 3, 1)


@pytest.fixture
def demo(transactional_db, frozen_today):
    """The 22 real demo programmes, committed so that the live server's thread sees them."""
    with open(os.devnull, "w") as devnull:
        call_command("load_demo_content", stdout=devnull)


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
