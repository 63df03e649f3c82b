"""Loaded by pytest before Django starts (``-p tests.environment`` in pyproject.toml).

The tests run with production settings (DEBUG off) so that what they check is what users get;
they only need a throwaway key and plain HTTP, since the test client does not speak TLS, and
static file names without the content hashes that `collectstatic` computes (tests/test_deploy.py
runs collectstatic itself and checks the production storage).
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("PLAIN_STATIC_FILES", "1")
