"""What the public pages keep in the cache: the term lists of the facets and whole search pages,
and the counters of the public rate limits.

Cached things are filed under the directory version (versioning.py), which lives in the
database and advances in the same transaction as every change to programmes, organisations,
terms and rates: the next request after a commit, in any process, reads a new version and finds
nothing stale. With the default per-process cache each process fills its own; with Redis
(``REDIS_URL``) they share one, which only saves work.
"""

import hashlib
import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language, gettext

from . import versioning
from .middleware import client_ip

# How long an entry under a version is kept at most; a new version makes it unreachable anyway.
TIMEOUT = 3600


def generation() -> str:
    """The directory version as a cache-key part (versioning.Version.key)."""
    return versioning.current().key


def cached_terms(model) -> list:
    """All instances of ``model`` in display order, as the active language shows them."""
    version = versioning.current()
    key = f"terms:{model._meta.label_lower}:{get_language()}:{version.key}"
    terms = cache.get(key) if version.cacheable else None
    if terms is None:
        terms = list(model.objects.in_display_order())
        if version.cacheable:
            cache.set(key, terms, TIMEOUT)
    return terms


def count_in_window(key: str, window: int) -> int:
    """Add one to a counter that starts with the first count and expires ``window`` seconds later
    (a fixed window); returns the new count. For the rate limits of the public forms, alerts and
    reminders, so the count must be the same in every process: in Redis when there is one,
    otherwise in the database (models.RateCounter)."""
    if settings.REDIS_URL:
        # INCR, then an expiry only where there is none (the window's first count, or a key whose
        # window ran out between the two): atomic in one transaction, so no counter lives on
        # without an expiry. (Django's cache.incr() is EXISTS then INCR, which can leave one.)
        name = _redis_key(key)
        with _redis().pipeline() as pipe:
            count, _set = pipe.incr(name).expire(name, window, nx=True).execute()
        return count
    return _count_in_database(key, window)


_redis_clients: dict = {}


def _redis():
    if settings.REDIS_URL not in _redis_clients:
        import redis

        _redis_clients[settings.REDIS_URL] = redis.Redis.from_url(settings.REDIS_URL)
    return _redis_clients[settings.REDIS_URL]


def _redis_key(key: str) -> str:
    # Under the cache's own key prefix, like everything else the site keeps in that Redis.
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:ratelimit:{key}"


def peek_count(key: str) -> int:
    """The current count of ``key``'s window, without counting (0 when none is running)."""
    if settings.REDIS_URL:
        return int(_redis().get(_redis_key(key)) or 0)
    now = int(time.time())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count FROM programmes_ratecounter WHERE key = %s AND expires_at > %s", [key[:200], now]
        )
        row = cursor.fetchone()
    return row[0] if row else 0


def _count_in_database(key: str, window: int) -> int:
    now = int(time.time())
    # One statement, atomic on both databases: a new key, a running window counted up, or an
    # expired window started again.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO programmes_ratecounter (key, count, expires_at) VALUES (%s, 1, %s) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN programmes_ratecounter.expires_at <= %s THEN 1 "
            "ELSE programmes_ratecounter.count + 1 END, "
            "expires_at = CASE WHEN programmes_ratecounter.expires_at <= %s THEN excluded.expires_at "
            "ELSE programmes_ratecounter.expires_at END "
            "RETURNING count",
            [key[:200], now + window, now, now],
        )
        return cursor.fetchone()[0]


def forget_expired_counts() -> int:
    """Remove the expired counters and used form tokens (send_alerts, hourly): outside the
    transactions that count, so their deletes never wait on each other."""
    now = int(time.time())
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM programmes_ratecounter WHERE expires_at <= %s", [now])
        removed = cursor.rowcount
        cursor.execute("DELETE FROM programmes_usedformtoken WHERE expires_at <= %s", [now])
        return removed + cursor.rowcount


def cached_page(view=None, *, parameters: tuple[str, ...] | None = None, throttled: bool = False):
    """Serve a public GET page from the cache for identical requests until the data changes.

    The key is the directory version, the language and the address with its parameters in a fixed
    order (``?city=almaty&sector=film`` and ``?sector=film&city=almaty`` are one page); with
    ``parameters``, only those count (the page ignores the others, so a page asked with made-up
    parameters is the same page, and one cache entry). Nothing personal is ever stored or
    served: requests carrying a session or messages (staff who are logged in) bypass the cache,
    and a response that used a CSRF token, set a cookie or read the session is not stored.

    ``throttled``: for pages that read many rows (feeds, calendars, exports), each address may
    have at most EXPENSIVE_REQUESTS_PER_MINUTE of them built a minute (copies from the cache are
    not counted); past that, 429. Whoever varies the words to miss the cache cannot hold every
    worker.
    """
    if view is None:
        return lambda view: cached_page(view, parameters=parameters, throttled=throttled)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        timeout = settings.SEARCH_PAGE_CACHE_SECONDS
        key = None
        version = versioning.current()
        if timeout and request.method == "GET" and not _personal(request) and version.cacheable:
            key = _page_key(request, version, parameters)
            cached = cache.get(key)
            if cached is not None:
                return _restored(cached)
        if throttled and not allow_expensive_request(request):
            return too_many_requests()
        response = view(request, *args, **kwargs)
        if key is not None and _storable(request, response):
            cache.set(key, _stored(response), timeout)
        return response

    return wrapper


# Headers a cached copy keeps besides its content type: downloads keep their file name, feeds
# and sitemaps their dates and robots header.
KEPT_HEADERS = ("Content-Disposition", "Last-Modified", "X-Robots-Tag")


def _stored(response) -> tuple[bytes, dict[str, str]]:
    headers = {name: response[name] for name in ("Content-Type", *KEPT_HEADERS) if response.has_header(name)}
    return response.content, headers


def _restored(cached) -> HttpResponse:
    content, headers = cached[0], dict(cached[1])
    response = HttpResponse(content, content_type=headers.pop("Content-Type", None))
    for name, value in headers.items():
        response[name] = value
    return response


def cached_by_generation(request, key: str, timeout: int, build):
    """``build()``'s response, built once per change of the directory (or ``timeout``) for
    everyone: for pages that do not depend on the visitor, such as the sitemap."""
    version = versioning.current()
    key = f"generation:{version.key}:{key}"
    cached = cache.get(key) if version.cacheable else None
    if cached is not None:
        return _restored(cached)
    if not allow_expensive_request(request):
        return too_many_requests()
    # Another process building the same file (a shared cache tells): come back shortly rather
    # than build it a second time (six crawlers at once used to hold every worker).
    building = f"{key}:building"
    if not cache.add(building, 1, timeout=60):
        response = HttpResponse(status=503)
        response["Retry-After"] = "10"
        return response
    try:
        response = build()
        if hasattr(response, "render"):
            response.render()
        if response.status_code == 200 and version.cacheable:
            cache.set(key, _stored(response), timeout)
    finally:
        cache.delete(building)
    return response


def allow_expensive_request(request) -> bool:
    """Count one page built from many rows for the visitor's address; False past
    EXPENSIVE_REQUESTS_PER_MINUTE in the current minute."""
    key = f"expensive:{client_ip(request) or 'unknown'}"
    return count_in_window(key, 60) <= settings.EXPENSIVE_REQUESTS_PER_MINUTE


def too_many_requests() -> HttpResponse:
    response = HttpResponse(
        gettext(
            "Too many feeds, calendars, downloads or sitemaps from your address. "
            "Please try again in a minute."
        ),
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = "60"
    return response


def _personal(request) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES


def _storable(request, response) -> bool:
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.accessed)
        and "no-store" not in response.get("Cache-Control", "")
    )


def _page_key(request, version: versioning.Version, parameters: tuple[str, ...] | None = None) -> str:
    # Parameters sorted by name; the values of one parameter keep their order (for a repeated
    # single-valued parameter the last one counts).
    query = urlencode(
        [
            (name, value)
            for name, values in sorted(request.GET.lists())
            if parameters is None or name in parameters
            for value in values
        ]
    )
    # Scheme and host too: the page holds absolute links (hreflang alternates).
    address = f"{request.scheme}://{request.get_host()}{request.path}?{query}"
    digest = hashlib.sha256(address.encode()).hexdigest()
    # Almaty's day too: statuses change at midnight without any write (and the API's ETag,
    # which names the day, must never label a copy built the day before).
    return f"page:{version.key}:{timezone.localdate():%Y%m%d}:{get_language()}:{digest}"
