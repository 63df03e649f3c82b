"""Spam protection for the public forms without a captcha service.

Three checks, each cheap: a honeypot field people never see, a signed timestamp (a form sent
sooner than a person could fill it, or left open for more than a day, is refused), and a limit
of accepted submissions per address per hour, counted where every process counts
(caching.count_in_window). A form load's timestamp is good for one accepted submission, in any
process (models.UsedFormToken).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import time

from django.conf import settings
from django.core import signing
from django.db import connection
from django.http import HttpRequest

from .caching import count_in_window, peek_count
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
    """The signed time a form was rendered, for its hidden field, with a random part: each form
    load's token is its own, so using it up (claim_token) never refuses another visitor's."""
    return signing.dumps([round(time.time(), 3), secrets.token_hex(8)], salt=SALT)


def _rate_key(request: HttpRequest) -> str:
    return f"public-forms:{client_ip(request) or 'unknown'}"


def check(request: HttpRequest) -> Verdict:
    """Judge a POSTed public form before its fields are validated."""
    if request.POST.get(HONEYPOT):
        return Verdict.BOT
    try:
        token = request.POST.get(TIMESTAMP_FIELD, "")
        payload = signing.loads(token, salt=SALT, max_age=settings.PUBLIC_FORM_MAX_AGE)
        # [time, nonce]; a bare time from a form rendered before nonces were added still counts.
        issued = float(payload[0] if isinstance(payload, list) else payload)
    except signing.SignatureExpired:
        return Verdict.EXPIRED
    except (signing.BadSignature, TypeError, ValueError):
        return Verdict.BOT
    if peek_count(_rate_key(request)) >= settings.PUBLIC_FORM_RATE_LIMIT:
        return Verdict.RATE_LIMITED
    if time.time() - issued < settings.PUBLIC_FORM_MIN_SECONDS:
        return Verdict.TOO_FAST
    return Verdict.OK


def count_submission(request: HttpRequest) -> int:
    """Count a submission against the sender's hourly limit (the window starts with the first);
    returns the count, this one included."""
    return count_in_window(_rate_key(request), settings.PUBLIC_FORM_RATE_WINDOW)


def claim_token(request: HttpRequest) -> bool:
    """Use up the form load's timestamp: True the first time, False when it was sent before (a
    replayed form). Call inside the transaction that stores the submission, so a failed save
    leaves the token unused."""
    token = request.POST.get(TIMESTAMP_FIELD, "")
    digest = hashlib.sha256(token.encode()).hexdigest()
    now = int(time.time())
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO programmes_usedformtoken (digest, expires_at) VALUES (%s, %s) "
            "ON CONFLICT (digest) DO NOTHING",
            [digest, now + settings.PUBLIC_FORM_MAX_AGE + 60],
        )
        # Expired ones are removed hourly (caching.forget_expired_counts): a token past its age
        # is refused before it gets here anyway.
        return cursor.rowcount == 1
