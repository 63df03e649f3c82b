"""One truth across processes: gunicorn with three workers, the command line beside it, no Redis.

The site runs as production runs it (gunicorn, several workers, each keeping its own search
index, term lists, cached pages and word matches in memory) on a database of its own, on the
database the suite runs on (SQLite file or PostgreSQL). Every worker is made to answer first,
so each has something to keep; then the data changes through the import command, through the
admin in one worker, and through a bulk write from the shell; and every worker's very next
answers (search, counts, home page, feed, calendar, export, sitemap) must show the change. The
public limits are checked the same way: counted once across all workers.
"""

import csv
import datetime
import http.client
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKERS = 3
WORD = "zephyrine"  # in the test programmes' titles only
SEARCH = f"/en/programmes/?q={WORD}"
# Public pages besides the search that show the test programmes by title.
OTHER_SURFACES = (
    "/en/",
    f"/en/programmes/feed.atom?q={WORD}",
    f"/en/programmes/calendar.ics?q={WORD}",
    f"/en/programmes/export.csv?q={WORD}",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A database of the suite's kind for the site under test, created empty and removed after."""
    default = settings.DATABASES["default"]
    if not default["ENGINE"].endswith("postgresql"):
        yield f"sqlite:///{tmp_path_factory.mktemp('workers') / 'db.sqlite3'}"
        return
    import psycopg

    name = f"workers_{os.getpid()}"
    server = {
        "host": default["HOST"] or "127.0.0.1",
        "port": default["PORT"] or 5432,
        "user": default["USER"],
        "password": default["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    password = f":{server['password']}" if server["password"] else ""
    yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _environment(database_url: str, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    return env | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "workers-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "PLAIN_STATIC_FILES": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(WORKERS),
        "LOG_LEVEL": "WARNING",
        # Each worker builds its own feed, calendar, export and sitemap per version here: this
        # is a test of freshness, not of the per-address throttle (tested in test_feeds.py).
        "EXPENSIVE_REQUESTS_PER_MINUTE": "10000",
        # test_the_api_limit_holds_across_workers counts to it; the other tests do not use the API.
        "API_REQUESTS_PER_MINUTE": "20",
        "DJANGO_SUPERUSER_PASSWORD": "a-long-test-password-42",
    }


class Site:
    def __init__(self, env: dict, port: int):
        self.env = env
        self.port = port

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def shell(self, code: str) -> str:
        """What ``code`` prints, run by ``manage.py shell``."""
        return self.manage("shell", "--no-imports", "-c", code)

    def request(self, method: str, path: str, body: dict | None = None, cookies: dict | None = None):
        """(status, headers, text, worker pid) of one request on a new connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Connection": "close", "Accept-Language": "en"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        return response.status, response.headers, text, response.headers["X-Worker"]

    def from_every_worker(self, path: str, times: int = 2) -> dict[str, list[str]]:
        """The page as each worker serves it, at least ``times`` answers from each (concurrent
        requests, so that busy workers leave the next ones to the others)."""
        answers: dict[str, list[str]] = {}
        with ThreadPoolExecutor(max_workers=2 * WORKERS) as pool:
            for _ in range(60):
                for status, _headers, text, worker in pool.map(
                    lambda _n: self.request("GET", path), range(2 * WORKERS)
                ):
                    assert status == 200, (path, status, text[:500])
                    answers.setdefault(worker, []).append(text)
                if len(answers) == WORKERS and all(len(texts) >= times for texts in answers.values()):
                    return answers
        raise AssertionError(f"not every worker answered {path}: {sorted(answers)}")


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    port = _free_port()
    folder = tmp_path_factory.mktemp("site")
    log = folder / "server.log"
    site = Site(_environment(database_url, port), port)
    site.folder = folder
    site.manage("migrate", "--noinput")
    site.manage("load_demo_content")
    site.manage("createsuperuser", "--noinput", "--username", "boss", "--email", "boss@example.com")
    _import(site, [("zephyrine-alpha", "Alpha"), ("zephyrine-beta", "Beta"), ("zephyrine-gamma", "Gamma")])
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "tests.worker_app:application"],
        cwd=ROOT,
        env=site.env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    site.log = log
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                site.request("GET", "/healthz")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        yield site
    finally:
        server.terminate()
        server.wait(timeout=30)


def _import(site: Site, programmes: list[tuple[str, str]]) -> None:
    """Import programmes through the command line: published, film grants closing in 5 days."""
    closes = (datetime.date.today() + datetime.timedelta(days=5)).isoformat()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["slug", "title_en", "organisation", "types", "sectors", "deadline_type", "closes_on", "state"]
    )
    for slug, name in programmes:
        writer.writerow(
            [slug, f"Zephyrine {name} grant", "Zephyrine Fund", "grant", "film", "fixed", closes, "published"]
        )
    path = site.folder / f"{programmes[0][0]}.csv"
    path.write_text(buffer.getvalue())
    output = site.manage("import_programmes", str(path))
    assert f"created: {len(programmes)}" in output, output


def _titles(html: str) -> list[str]:
    from tests.conftest import _ResultTitles

    parser = _ResultTitles()
    parser.feed(html)
    return [re.sub(r"\s+", " ", t).strip() for t in parser.titles]


def _film_count(html: str) -> int:
    found = re.search(r'name="sector" value="film"[^>]*>[^<]*<span class="count">\((\d+)\)', html)
    return int(found.group(1)) if found else 0


def _seen_everywhere(site: Site, expected: list[str]) -> None:
    """Every worker's answers show exactly the ``expected`` test programmes: in the results, the
    result count, the film facet, the home page's closing-soon list, the feed, the calendar, the
    export and the sitemap."""
    for worker, pages in site.from_every_worker(SEARCH).items():
        for page in pages:
            assert _titles(page) == expected, worker
            assert f"{len(expected)} programme" in page, worker
            assert _film_count(page) == len(expected), worker
    names = {
        "Zephyrine Alpha grant",
        "Zephyrine Beta grant",
        "Zephyrine Gamma grant",
        "Zephyrine Delta grant",
    }
    for path in OTHER_SURFACES:
        for worker, pages in site.from_every_worker(path).items():
            for page in pages:
                assert sorted(name for name in names if name in page) == sorted(expected), (path, worker)
    # The sitemap lists pages by address: the slugs of the published ones.
    slugs = sorted(f"zephyrine-{name.split()[1].lower()}" for name in expected)
    for worker, pages in site.from_every_worker("/sitemap-programmes.xml").items():
        for page in pages:
            assert sorted(set(re.findall(r"/en/programmes/(zephyrine-[a-z]+)/", page))) == slugs, worker


def _warm(site: Site) -> None:
    # Every worker builds its index and caches its pages and term lists.
    for path in (SEARCH, *OTHER_SURFACES, "/sitemap-programmes.xml"):
        site.from_every_worker(path)


def test_every_worker_serves_each_change_at_once(site):
    _warm(site)
    _seen_everywhere(site, ["Zephyrine Alpha grant", "Zephyrine Beta grant", "Zephyrine Gamma grant"])

    # (a) The import command adds a published programme while the workers run.
    _import(site, [("zephyrine-delta", "Delta")])
    _seen_everywhere(
        site,
        ["Zephyrine Alpha grant", "Zephyrine Beta grant", "Zephyrine Delta grant", "Zephyrine Gamma grant"],
    )

    # (b) A staff member archives one in the admin: one worker handles it.
    cookies = _sign_in(site)
    status, _headers, page, _worker = site.request("GET", "/admin/programmes/programme/", cookies=cookies)
    assert status == 200
    pk = site.shell(
        "from programmes.models import Programme; print(Programme.objects.get(slug='zephyrine-beta').pk)"
    ).strip()
    status, _headers, page, _worker = site.request(
        "POST",
        "/admin/programmes/programme/",
        {
            "csrfmiddlewaretoken": _csrf_token(page),
            "action": "archive",
            "_selected_action": pk,
            "index": "0",
        },
        cookies,
    )
    assert status == 302, site.log.read_text()[-3000:]
    _seen_everywhere(site, ["Zephyrine Alpha grant", "Zephyrine Delta grant", "Zephyrine Gamma grant"])

    # (c) Unpublished by a bulk write from the shell: no signal, no save(), only the database.
    site.shell(
        "from programmes.models import Programme; "
        "Programme.objects.filter(slug='zephyrine-gamma').update(state='draft')"
    )
    _seen_everywhere(site, ["Zephyrine Alpha grant", "Zephyrine Delta grant"])


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _cookies(headers) -> dict:
    return dict(
        value.split(";", 1)[0].split("=", 1)
        for name, value in headers.items()
        if name.lower() == "set-cookie"
    )


def _sign_in(site: Site) -> dict:
    status, headers, page, _worker = site.request("GET", "/admin/login/")
    cookies = _cookies(headers)
    status, headers, page, _worker = site.request(
        "POST",
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": _csrf_token(page), "username": "boss", "password": "a-long-test-password-42"},
        cookies,
    )
    assert status == 302, page[:500]
    return cookies | _cookies(headers)


def test_the_alert_limit_holds_across_workers(site):
    """Eight requests for one inbox, written with plus-tags and capitals, spread over the
    workers: the limit of three a day is counted once, so three confirmations are sent."""
    spellings = ["limit@example.com", "Limit@Example.com", "limit+1@example.com", "LIMIT+news@example.com"]
    forms = []
    for number in range(8):
        status, headers, page, _worker = site.request("GET", "/en/alerts/?sector=film")
        assert status == 200
        body = {
            "csrfmiddlewaretoken": _csrf_token(page),
            "email": spellings[number % len(spellings)],
            "frequency": "weekly",
            "query": f"sector=film&amount_min={number + 1}",
        }
        forms.append((body, _cookies(headers)))
    # Sent at once, so that the workers share them out.
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda form: site.request("POST", "/en/alerts/", *form), forms))
    statuses = sorted(status for status, _headers, _page, _worker in answers)
    assert statuses == [302] * 3 + [429] * 5  # three go on to "check your inbox"
    assert len({worker for _status, _headers, _page, worker in answers}) > 1
    count = site.shell(
        "from programmes.models import Alert; print(Alert.objects.filter(email__icontains='limit').count())"
    ).strip()
    assert count == "3"


def test_the_api_limit_holds_across_workers(site):
    """Thirty API requests from one address at once, spread over the workers: the limit of twenty
    a minute is counted once for all of them, so exactly twenty are answered and ten are 429s
    with Retry-After and a JSON body."""
    paths = ["/api/v1/programmes/?q=zephyrine", "/api/v1/types/", "/api/v1/sectors/"] * 10
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda path: site.request("GET", path), paths))
    statuses = sorted(status for status, _headers, _text, _worker in answers)
    assert statuses == [200] * 20 + [429] * 10
    assert len({worker for _status, _headers, _text, worker in answers}) > 1
    refused = [(headers, text) for status, headers, text, _worker in answers if status == 429]
    assert {headers["Retry-After"] for headers, _text in refused} == {"60"}
    assert {text for _headers, text in refused} == {
        '{"detail":"Too many requests from your address: at most 20 a minute. Try again in 60 seconds."}'
    }
