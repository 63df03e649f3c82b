"""The README's screenshots (docs/screenshots/*.png), made again from scratch:

    .venv/bin/python benchmarks/screenshots.py [--out docs/screenshots] [--port 8791]

A fresh SQLite database in a temporary folder gets the migrations and the demo content, Django's
development server serves it, and the system's Chromium (Playwright, as the browser tests use
it: never ``playwright install``) takes, in Kazakh, Russian and English:

- ``home-<lang>.png``: the home page on a 1280-pixel screen;
- ``search-phone-<lang>.png``: a filtered search on a 375-pixel phone (film, up to 50 million
  tenge): the result count, the jump to the filters, the active filters as chips and the hint
  about programmes that state no amount, above the first results;
- ``programme-<lang>.png``: a programme page on a 1280-pixel screen.

Each is one CSS pixel per image pixel, cut to the height that shows what it is about, so that
the files stay small. Statuses and "closes in N days" follow the day the script runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LANGUAGES = ("kk", "ru", "en")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# name: (path, viewport, height of the picture in CSS pixels)
SHOTS = {
    "home": ("/{lang}/", DESKTOP, 900),
    "search-phone": ("/{lang}/programmes/?sector=film&amount_max=50000000", PHONE, 1000),
    "programme": ("/{lang}/programmes/tolqyn-film-fund-investments/", DESKTOP, 950),
}


def _manage(*args: str, env: dict) -> None:
    command = [sys.executable, "manage.py", *args]
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 (fixed arguments)


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own http:// address)
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def take(base_url: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        for lang in LANGUAGES:
            for name, (path, viewport, height) in SHOTS.items():
                phone = viewport is PHONE
                context = browser.new_context(
                    base_url=base_url,
                    viewport=viewport,
                    device_scale_factor=1,
                    is_mobile=phone,
                    has_touch=phone,
                    locale=lang,
                )
                page = context.new_page()
                page.goto(path.format(lang=lang))
                full = page.evaluate("document.documentElement.scrollHeight")
                target = out / f"{name}-{lang}.png"
                page.screenshot(
                    path=target,
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": viewport["width"], "height": min(height, full)},
                )
                written.append(target)
                context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--port", type=int, default=8791)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        # Development mode (DEBUG serves the static files) on a database of its own: the
        # pictures never depend on what a local database holds.
        env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{folder}/screenshots.sqlite3"}
        env.pop("SECRET_KEY", None)
        env.pop("REDIS_URL", None)
        _manage("migrate", "--noinput", env=env)
        _manage("load_demo_content", env=env)
        address = f"127.0.0.1:{options.port}"
        server = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [sys.executable, "manage.py", "runserver", address, "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"http://{address}/healthz")
            for path in take(f"http://{address}", options.out):
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                print(f"{shown}: {path.stat().st_size:,} bytes")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
