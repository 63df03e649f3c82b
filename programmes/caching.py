"""What the public pages keep in the cache: the term lists of the facets and whole search pages.

Every search page needs every term's name for its facets, and the same searches (a sector, a
city, the first page) are asked again and again. Both are cached under a *generation* number:
any change to a programme, an organisation, a taxonomy term or an exchange rate bumps it
(signals.py, and the bulk writes of services.py and resources.py), so nothing stale is served
after a save. With a shared cache (Redis, ``REDIS_URL``) one bump reaches every app server;
with the default per-process cache the short timeouts bound how long another process lags.
"""

import hashlib
import secrets
import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import get_language, gettext

from .middleware import client_ip

# Short, because a per-process cache (the default) is not told of saves in other processes.
TIMEOUT = 60
_GENERATION_KEY = "directory:generation"


def generation() -> int:
    # A random first number, not 1: after the cache is emptied (a restart of Redis, a cleared
    # cache), numbers seen before must not come back and match what a process built then, such
    # as its search index (index.py).
    return cache.get_or_set(_GENERATION_KEY, _first_generation, None)


def _first_generation() -> int:
    return secrets.randbelow(2**40)


def expired(stored_at: float) -> bool:
    """Whether something a process keeps for itself under the generation (the search index,
    word matches), stored at ``time.monotonic()`` ``stored_at``, must be rebuilt anyway: without
    a shared cache this process hears of its own saves only, so after TIMEOUT seconds."""
    return not settings.REDIS_URL and time.monotonic() - stored_at > TIMEOUT


def cached_terms(model) -> list:
    """All instances of ``model`` in display order, as the active language shows them."""
    key = f"terms:{model._meta.label_lower}:{get_language()}:{generation()}"
    terms = cache.get(key)
    if terms is None:
        terms = list(model.objects.in_display_order())
        cache.set(key, terms, TIMEOUT)
    return terms


def count_in_window(key: str, window: int) -> int:
    """Add one to a counter that starts with the first count and expires ``window`` seconds later
    (a fixed window); returns the new count. For the rate limits of the public forms and alerts."""
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr(): a new window
        cache.set(key, 1, timeout=window)
        return 1


def invalidate() -> None:
    """The directory changed: every cached term list and search page is stale from now on."""
    _bump()
    # A request that read the rows before this transaction commits could cache what it saw
    # under the new generation; a second bump once the change is visible discards that too.
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # no generation yet: nothing cached
        cache.set(_GENERATION_KEY, _first_generation(), None)


def cached_page(view=None, *, parameters: tuple[str, ...] | None = None, throttled: bool = False):
    """Serve a public GET page from the cache for identical requests until the data changes.

    The key is the generation, the language and the address with its parameters in a fixed
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
        if timeout and request.method == "GET" and not _personal(request):
            key = _page_key(request, parameters)
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
    key = f"generation:{generation()}:{key}"
    cached = cache.get(key)
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
        if response.status_code == 200:
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
    )


def _page_key(request, parameters: tuple[str, ...] | None = None) -> str:
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
    return f"page:{generation()}:{get_language()}:{digest}"
