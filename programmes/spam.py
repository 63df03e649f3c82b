"""Spam protection for the public forms without a captcha service.

Three checks, each cheap: a honeypot field people never see, a signed timestamp (a form sent
sooner than a person could fill it, or left open for more than a day, is refused), and a limit
of accepted submissions per address per hour, counted in the cache.
"""

from __future__ import annotations

import enum
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest

from .caching import count_in_window
from .middleware import client_ip

SALT = "programmes.public-form"
HONEYPOT = "homepage"
TIMESTAMP_FIELD = "issued"


class Verdict(enum.Enum):
    OK = "ok"
    BOT = "bot"  # honeypot filled in, or timestamp missing or forged: answered as if all went well
    TOO_FAST = "too-fast"
    EXPIRED = "expired"
    RATE_LIMITED = "rate-limited"


def issue_token() -> str:
    """The signed time a form was rendered, for its hidden field."""
    return signing.dumps(round(time.time(), 3), salt=SALT)


def _rate_key(request: HttpRequest) -> str:
    return f"public-forms:{client_ip(request) or 'unknown'}"


def check(request: HttpRequest) -> Verdict:
    """Judge a POSTed public form before its fields are validated."""
    if request.POST.get(HONEYPOT):
        return Verdict.BOT
    try:
        token = request.POST.get(TIMESTAMP_FIELD, "")
        issued = float(signing.loads(token, salt=SALT, max_age=settings.PUBLIC_FORM_MAX_AGE))
    except signing.SignatureExpired:
        return Verdict.EXPIRED
    except (signing.BadSignature, TypeError, ValueError):
        return Verdict.BOT
    if cache.get(_rate_key(request), 0) >= settings.PUBLIC_FORM_RATE_LIMIT:
        return Verdict.RATE_LIMITED
    if time.time() - issued < settings.PUBLIC_FORM_MIN_SECONDS:
        return Verdict.TOO_FAST
    return Verdict.OK


def count_submission(request: HttpRequest) -> None:
    """Count an accepted submission against the sender's hourly limit (the window starts with the first)."""
    count_in_window(_rate_key(request), settings.PUBLIC_FORM_RATE_WINDOW)
