"""Serving as production does: collectstatic with WhiteNoise's storage, gunicorn with our config."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _production_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "PLAIN_STATIC_FILES"}}
    return env | {
        "SECRET_KEY": "q8Vf-2mZ#rT9wLx$4kPa7NbY!c3Hd6Jg0sEuQy1Ro5Wi-vB7nK2pX9",
        "ALLOWED_HOSTS": "127.0.0.1,funding.example.kz",
        "STATIC_ROOT": str(tmp_path / "static"),
        # A throwaway database: the health check only needs to reach one.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **extra,
    }


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("deploy")
    env = _production_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_collectstatic_writes_hashed_and_compressed_files(collected):
    manifest = json.loads((collected / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["programmes/site.css"]
    assert hashed.startswith("programmes/site.")
    assert hashed != "programmes/site.css"
    assert (collected / "static" / hashed).exists()
    assert (collected / "static" / (hashed + ".gz")).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the redirect itself is what is tested


_opener = urllib.request.build_opener(_NoRedirects)


def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_gunicorn_serves_health_static_files_and_logs_json(collected):
    port = _free_port()
    env = _production_env(
        collected,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        SECURE_SSL_REDIRECT="1",
        BEHIND_PROXY="1",
    )
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "directory.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, headers, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.3)
        # Plain HTTP is answered for the health check, redirected for everything else.
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        assert "no-store" in headers["Cache-Control"]
        status, headers, _ = _get(f"http://127.0.0.1:{port}/en/")
        assert status == 301
        assert headers["Location"] == f"https://127.0.0.1:{port}/en/"
        # WhiteNoise serves the hashed file, compressed, cached for a year (behind a proxy that
        # says the request came over HTTPS).
        static_path = (
            "/static/"
            + json.loads((collected / "static" / "staticfiles.json").read_text())["paths"][
                "programmes/site.css"
            ]
        )
        status, headers, _ = _get(
            f"http://127.0.0.1:{port}{static_path}", {"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"}
        )
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert headers["Cache-Control"] == "max-age=315360000, public, immutable"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    requests = [(r["method"], r["path"], r["status"]) for r in lines if r["logger"] == "directory.request"]
    # The health check is logged at DEBUG only: probes every few seconds would drown the log.
    assert requests == [("GET", "/en/", 301), ("GET", static_path, 200)]
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    # Every line gunicorn and the application wrote is one JSON object.
    assert all(line.startswith("{") for line in output.splitlines() if line.strip())
