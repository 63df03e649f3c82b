"""manage.py check_links against a real HTTP server on 127.0.0.1 started by the test."""

import datetime
import http.server
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command

from programmes.choices import PublicationState
from programmes.links import HostThrottle, LinkChecker
from programmes.models import Programme
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

TIMEOUT = 0.5  # the "never answers" path sleeps well past this


class _Handler(http.server.BaseHTTPRequestHandler):
    requests: list[tuple[str, str, str]] = []

    def _answer(self):
        _Handler.requests.append((self.command, self.path, self.headers.get("User-Agent", "")))
        if self.path == "/slow":
            time.sleep(TIMEOUT * 4)
        if self.path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
        else:
            self.send_response({"/ok": 200, "/no-head": 200, "/gone": 404, "/fails": 500}.get(self.path, 404))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def server():
    _Handler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _run(*args):
    out = StringIO()
    call_command(
        "check_links",
        "--rate",
        "1000",
        "--connect-timeout",
        "1",
        "--read-timeout",
        str(TIMEOUT),
        *args,
        stdout=out,
    )
    return out.getvalue()


def _results(slug):
    p = Programme.objects.get(slug=slug)
    return (
        (p.apply_url_result, p.apply_url_final, p.apply_url_checked_on),
        (p.source_url_result, p.source_url_final, p.source_url_checked_on),
    )


def test_check_links_records_each_answer_and_prints_a_summary(server, today):
    ProgrammeFactory(slug="ok", apply_url=f"{server}/ok", source_url=f"{server}/moved")
    ProgrammeFactory(slug="gone", apply_url=f"{server}/gone", source_url="")
    ProgrammeFactory(slug="fails", apply_url=f"{server}/fails", source_url=f"{server}/ok")
    ProgrammeFactory(slug="slow", apply_url=f"{server}/slow")
    ProgrammeFactory(slug="nowhere", apply_url="http://no-such-host.invalid/", source_url=f"{server}/no-head")
    ProgrammeFactory(slug="draft", state=PublicationState.DRAFT, apply_url=f"{server}/gone")

    output = _run()

    day = datetime.date(2026, 3, 1)
    assert _results("ok") == (("200", f"{server}/ok", day), ("200", f"{server}/ok", day))
    assert _results("gone") == (("404", f"{server}/gone", day), ("", "", None))
    assert _results("fails") == (("500", f"{server}/fails", day), ("200", f"{server}/ok", day))
    assert _results("slow") == (("timeout", "", day), ("", "", None))
    assert _results("nowhere") == (("dns", "", day), ("200", f"{server}/no-head", day))
    assert _results("draft") == (("", "", None), ("", "", None))  # only published programmes
    assert output.splitlines() == [
        f"broken: gone apply_url {server}/gone → 404",
        f"broken: fails apply_url {server}/fails → 500",
        f"broken: slow apply_url {server}/slow → timeout",
        "broken: nowhere apply_url http://no-such-host.invalid/ → dns",
        "Checked 8 links (7 distinct addresses) on 5 programmes: 4 working, 4 broken.",
    ]


def test_shared_urls_are_requested_once_with_head_and_a_named_user_agent(server, today):
    ProgrammeFactory(apply_url=f"{server}/ok", source_url=f"{server}/ok")
    ProgrammeFactory(apply_url=f"{server}/ok")
    ProgrammeFactory(apply_url=f"{server}/no-head")
    _run()
    assert [(method, path) for method, path, _ in _Handler.requests] == [
        ("HEAD", "/no-head"),
        ("GET", "/no-head"),  # HEAD refused with 405: asked again with GET
        ("HEAD", "/ok"),
    ]
    assert {agent for *_, agent in _Handler.requests} == {
        "CreativeFundingKZ-LinkChecker/1.0 (+http://localhost:8000/)"
    }


def test_redirects_keep_head_and_a_redirect_loop_is_broken(server, today):
    ProgrammeFactory(slug="moved", apply_url=f"{server}/moved")
    ProgrammeFactory(slug="loop", apply_url=f"{server}/loop")
    _run()
    assert _results("moved")[0] == ("200", f"{server}/ok", today)
    assert _results("loop")[0] == ("too-many-redirects", "", today)
    assert [(m, p) for m, p, _ in _Handler.requests if p != "/loop"] == [("HEAD", "/moved"), ("HEAD", "/ok")]
    assert len([p for _, p, _ in _Handler.requests if p == "/loop"]) == 11


def test_running_twice_records_the_same_results(server, today):
    ProgrammeFactory(slug="gone", apply_url=f"{server}/gone", source_url=f"{server}/moved")
    first_output, first = _run(), _results("gone")
    assert (_run(), _results("gone")) == (first_output, first)


def test_an_unexpected_error_on_one_link_does_not_stop_the_others(server, today, monkeypatch):
    ProgrammeFactory(slug="odd", apply_url=f"{server}/fails")
    ProgrammeFactory(slug="fine", apply_url=f"{server}/ok")
    original = LinkChecker._request

    def explode_on_fails(self, method, url):
        if url.endswith("/fails"):
            raise RuntimeError("surprise")
        return original(self, method, url)

    monkeypatch.setattr(LinkChecker, "_request", explode_on_fails)
    _run()
    assert (_results("odd")[0][0], _results("fine")[0][0]) == ("error", "200")


def test_editing_a_link_forgets_its_old_check(server, today):
    ProgrammeFactory(slug="gone", apply_url=f"{server}/gone", source_url=f"{server}/ok")
    _run()
    programme = Programme.objects.get(slug="gone")
    programme.apply_url = f"{server}/ok"
    programme.save()
    assert _results("gone") == (("", "", None), ("200", f"{server}/ok", today))


def test_throttle_spaces_requests_to_the_same_host_only():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    throttle = HostThrottle(2, clock=lambda: now[0], sleep=sleep)
    throttle.wait("a.kz")
    throttle.wait("b.kz")
    throttle.wait("a.kz")
    now[0] += 0.2
    throttle.wait("a.kz")
    assert slept == [0.5, 0.3]
