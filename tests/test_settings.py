"""The settings refuse to serve without a secret key, and manage.py stays usable locally."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=60
    )


def test_a_production_process_without_a_key_refuses_to_start():
    result = _run(
        "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='directory.settings'; django.setup()"
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY (or DEBUG=1 for local development)." in result.stderr


def test_manage_py_without_a_key_runs_in_local_development_mode():
    result = _run("manage.py", "shell", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_manage_py_with_a_key_keeps_debug_off():
    result = _run(
        "manage.py",
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        SECRET_KEY="k" * 50,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_a_yes_no_setting_with_an_unknown_value_refuses_to_start():
    # "ture" is a typo for true; reading it as False would quietly serve without the HTTPS redirect.
    result = _run(
        "-c",
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='directory.settings'; django.setup();"
        " print('started')",
        SECRET_KEY="k" * 50,
        SECURE_SSL_REDIRECT="ture",
    )
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT='ture' is not a yes/no value; use one of" in result.stderr
    assert "started" not in result.stdout


def test_yes_no_settings_accept_the_usual_words_in_any_case():
    script = (
        "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_PRELOAD)"
    )
    for yes, no, expected in (
        ("YES", "off", "True False"),
        (" 0 ", "On", "False True"),
        ("", "true", "True True"),  # empty: the default (on when DEBUG is off)
    ):
        result = _run(
            "manage.py",
            "shell",
            "-c",
            script,
            SECRET_KEY="k" * 50,
            SECURE_SSL_REDIRECT=yes,
            SECURE_HSTS_PRELOAD=no,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == expected
