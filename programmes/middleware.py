"""Request-wide concerns: the request log, the admin's own Content Security Policy, client addresses."""

import logging
import time
from types import SimpleNamespace

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import get_supported_language_variant, parse_accept_lang_header

request_log = logging.getLogger("directory.request")

# Load-balancer probes would drown the log; they are logged at DEBUG only.
QUIET_PATHS = {"/healthz"}


def client_ip(request) -> str | None:
    """The visitor's address, the one every per-address limit counts by: django-axes's admin
    lockout, the public forms' hourly limit and the alert and reminder throttles.

    REMOTE_ADDR; behind our own proxy (BEHIND_PROXY=1), where REMOTE_ADDR is the proxy, the last
    X-Forwarded-For entry, the one our proxy appended (earlier entries are whatever the client
    chose to send). None when neither is known.
    """
    if settings.BEHIND_PROXY:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


REDACTED = "[token]"


def loggable_path(request) -> str:
    """The request's path with any secret it carries replaced: the confirm, unsubscribe and
    manage links hold the token that is their only authority (their URL patterns name it
    ``token``), and whoever reads the logs must not be able to use them."""
    match = getattr(request, "resolver_match", None)
    token = match.kwargs.get("token") if match is not None else None
    if token:
        return request.path.replace(token, REDACTED)
    return request.path


class RequestLogMiddleware:
    """One structured line per request: method, path (never the query string, which may hold an
    e-mail address or a search someone would rather keep), status, duration, user id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user = getattr(request, "user", None)
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        path = loggable_path(request)
        request_log.log(
            level,
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the admin's relaxed policy applied under ADMIN_URL only."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith("/" + settings.ADMIN_URL):
            parts.config = parts.config or settings.ADMIN_CONTENT_SECURITY_POLICY
            # A nonce in script-src would make browsers ignore the admin's 'unsafe-inline'.
            parts.nonce = None
        return parts


class AdminLanguageMiddleware:
    """The admin in settings.ADMIN_LANGUAGE_CODE for staff who have chosen no language.

    Django's LocaleMiddleware falls back to LANGUAGE_CODE, the public site's default content
    language; the admin's is a setting of its own. A language cookie or a browser language among
    ours is a choice and is kept. Runs after LocaleMiddleware, which still adds the response's
    Content-Language and Vary.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/" + settings.ADMIN_URL) and not chosen_language(request):
            translation.activate(settings.ADMIN_LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.ADMIN_LANGUAGE_CODE
        return self.get_response(request)


def chosen_language(request) -> str | None:
    """The language the visitor asked for (cookie, then browser), if it is one of ours."""
    asked = [request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or ""]
    asked += [code for code, _ in parse_accept_lang_header(request.headers.get("Accept-Language", ""))]
    for code in asked:
        if code and code != "*":
            try:
                return get_supported_language_variant(code)
            except LookupError:
                continue
    return None


class PermissionsPolicyMiddleware:
    """The Permissions-Policy header (settings.PERMISSIONS_POLICY): the site uses no camera,
    microphone, location, payment or other powerful browser feature, so no page (nor anything
    injected into one) may ask for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def language_from_headers(request) -> str:
    """Django's choice of language without the language cookie: for what other sites and programs
    read (the API, the widget in a partner's frame), whose language is ``?lang=`` or their
    Accept-Language header; the cookie is the pages' switcher's, for people. Falls back to
    LANGUAGE_CODE."""
    return translation.get_language_from_request(SimpleNamespace(COOKIES={}, META=request.META))


def asked_language(request) -> str:
    """``?lang=kk|ru|en`` (surrounding spaces ignored), else ``language_from_headers``: the
    language of what other sites and programs read (the API, the widget)."""
    asked = request.GET.get("lang", "").strip()
    return asked if asked in dict(settings.LANGUAGES) else language_from_headers(request)
