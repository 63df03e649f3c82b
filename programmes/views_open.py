"""The open directory's pages (#16): the embeddable widget and the page that explains it, the
"Can I apply?" helper, and the open-data downloads with their data dictionary.

A module of its own beside views.py so that the search page's views stay as they are. Every
list here is the search page's own: the same FilterSet (filters.ProgrammeFilter) over the
published programmes, so "open" and every filter mean one thing everywhere.
"""

import zlib
from functools import wraps
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.html import format_html
from django.utils.http import http_date
from django.utils.translation import get_language, gettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from . import helper, opendata, opendata_columns, selectors, versioning
from .caching import cached_page, cached_terms
from .choices import Status
from .filters import PUBLIC_PARAMETERS, known_query
from .middleware import asked_language
from .models import Location, OpenDataFile, Sector

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
WIDGET_LIMIT = settings.PROGRAMMES_PER_PAGE


def widget_query(data) -> QueryDict:
    """The search page's parameters of ``data`` with the status set to open: the widget lists
    exactly the search page's open programmes for the same parameters, first page first."""
    query = known_query(data)
    query.pop("page", None)
    query.setlist("status", [Status.OPEN])
    return query


def open_programmes(data) -> selectors.SearchPage:
    """The search page for ``data`` limited to open programmes (see widget_query)."""
    return selectors.search_page(widget_query(data))


def _in_asked_language(view):
    """Run the widget in ``?lang=`` or the frame's Accept-Language, never the language cookie:
    a page cached for one visitor's cookie must not be served to another's (the cache key names
    the active language), and a proxy in front can only vary on headers."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        language = asked_language(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language"])
        return response

    return wrapper


def _names(terms) -> str:
    return ", ".join(term.name for term in terms)


# The widget may be framed by any site (its whole point); frame-ancestors replaces the site's
# 'none' on this route only, and X-Frame-Options (which cannot name "any site") is left off.
# Both decorators wrap the cache, so a copy served from the cache carries them too. No cookie,
# session or CSRF token is read or set: the page is the same for everyone, and cacheable.
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@require_safe
@_in_asked_language
@cached_page(parameters=(*PUBLIC_PARAMETERS, "lang"))
def widget(request):
    search = open_programmes(request.GET)
    selection = search.selection()
    data = search.filterset.form.cleaned_data
    query = widget_query(request.GET)
    search_page = reverse("programmes:list") + "?" + query.urlencode()
    return render(
        request,
        "programmes/widget.html",
        {
            "programmes": selection.results[:WIDGET_LIMIT],
            "total": selection.counts.total,
            "sectors": _names(data.get("sector") or []),
            "places": _names(data.get("city") or []),
            "more_url": request.build_absolute_uri(search_page),
            "site_url": request.build_absolute_uri(reverse("programmes:home")),
        },
    )


# --- Embed the directory ----------------------------------------------------------------------------


def embed(request):
    """How to embed the widget: choose a field, a place and a language (a GET form, no script),
    copy the <iframe> snippet, see it live."""
    sector = _known_slug(request.GET.get("sector", ""), cached_terms(Sector))
    place = _known_slug(request.GET.get("city", ""), cached_terms(Location))
    language = request.GET.get("lang", "")
    language = language if language in LANGUAGE_CODES else get_language()
    parameters = [(name, value) for name, value in (("sector", sector), ("city", place)) if value]
    widget_url = request.build_absolute_uri(
        reverse("widget") + "?" + urlencode([*parameters, ("lang", language)])
    )
    # Escaped as HTML (the address's "&" as "&amp;"); the page escapes it once more to show it.
    # No style attribute: a partner's own Content Security Policy may refuse inline styles.
    snippet = format_html(
        '<iframe src="{}" title="{}" width="100%" height="600" loading="lazy"></iframe>',
        widget_url,
        _widget_title(language),
    )
    return render(
        request,
        "programmes/embed.html",
        {
            "sectors": cached_terms(Sector),
            "places": helper.place_choices(),
            "languages": settings.LANGUAGES,
            "chosen": {"sector": sector, "city": place, "lang": language},
            "widget_url": widget_url,
            "snippet": snippet,
        },
    )


def _widget_title(language: str) -> str:
    # The iframe's accessible name, in the widget's language.
    with translation.override(language):
        return gettext("Open programmes · Creative Funding KZ")


def _known_slug(value: str, terms) -> str:
    value = value.strip().lower()
    return value if any(term.slug == value for term in terms) else ""


# --- Can I apply? -----------------------------------------------------------------------------------


def can_i_apply(request):
    """Four questions on one GET form; the suggestions are the search page's results for the
    answers, open ones first, each with the reasons it fits."""
    form = helper.HelperForm(request.GET or None)
    context = {"form": form}
    if form.is_bound and form.is_valid() and form.has_answers():
        context.update(helper.suggest(form.cleaned_data))
    return render(request, "programmes/can_i_apply.html", context)


# --- Open data --------------------------------------------------------------------------------------


# Served in slices, so that a worker holds the compressed file (a few MB) and what one slice of it
# decompresses to, never the whole file (33 MB of JSON at 10,000 programmes).
CHUNK = 64 * 1024


@require_safe
def open_data_download(request, file_type):
    """The whole published directory in one file, as build_open_data last stored it: the same
    file for every worker, never built in a request. A file older than the directory's current
    version is still served (it says which version it describes: ``X-Directory-Version``, the
    JSON's metadata); the next build replaces it within minutes."""
    if file_type not in opendata.FORMATS:
        raise Http404
    gzipped = _accepts_gzip(request.headers.get("Accept-Encoding", ""))
    # Twice at most: a build may replace the file between reading its row and its content.
    for _attempt in range(2):
        stored = OpenDataFile.objects.newest(file_type)
        if stored is None:
            return _not_built_yet()
        # The two encodings are different bytes of one file: a weak tag for the compressed one
        # (as nginx and Django's GZipMiddleware do; If-None-Match compares tags weakly). The
        # digest tells apart two builds of one version and day (a forced build after a release).
        tag = f'"{stored.version}-{stored.status_on.isoformat()}-{file_type}-{stored.digest[:16]}"'
        tag = f"W/{tag}" if gzipped else tag
        last_modified = stored.built_at.timestamp()
        response = get_conditional_response(request, etag=tag, last_modified=last_modified)
        if response is not None:  # 304 (or 412), without reading the file
            break
        content = OpenDataFile.objects.filter(pk=stored.pk).values_list("content", flat=True).first()
        if content is not None:
            response = _file_response(file_type, stored, memoryview(content), gzipped)
            break
    else:
        return _not_built_yet()
    response["ETag"] = tag
    response["Last-Modified"] = http_date(last_modified)
    response["X-Directory-Version"] = stored.version
    response["X-Statuses-On"] = stored.status_on.isoformat()
    patch_vary_headers(response, ["Accept-Encoding"])
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Last-Modified, X-Directory-Version, X-Statuses-On"
    patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
    return response


def _file_response(file_type: str, stored, content: memoryview, gzipped: bool) -> StreamingHttpResponse:
    content_type = opendata.CONTENT_TYPES[file_type]
    if gzipped:
        response = StreamingHttpResponse(_slices(content), content_type=content_type)
        response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(content))
    else:
        response = StreamingHttpResponse(_decompressed(content), content_type=content_type)
        response["Content-Length"] = str(stored.size)
    response["Content-Disposition"] = f'attachment; filename="programmes.{file_type}"'
    return response


def _slices(content: memoryview):
    for start in range(0, len(content), CHUNK):
        yield bytes(content[start : start + CHUNK])


def _decompressed(content: memoryview):
    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)  # gzip's header and trailer
    for piece in _slices(content):
        yield decompressor.decompress(piece)
    yield decompressor.flush()


def _accepts_gzip(header: str) -> bool:
    """Accept-Encoding names gzip (or ``*``) with a weight above zero."""
    weights = {}
    for part in header.split(","):
        name, _semicolon, parameters = part.strip().partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            key, _equals, value = parameter.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name.strip().lower()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def _not_built_yet() -> HttpResponse:
    response = HttpResponse(
        gettext(
            "The open-data files have not been built yet. They are built within %(minutes)s minutes; "
            "please try again then."
        )
        % {"minutes": opendata_columns.BUILD_EVERY_MINUTES},
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(opendata_columns.BUILD_EVERY_MINUTES * 60)
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, no_store=True)
    return response


def open_data(request):
    """The data dictionary: every column of the downloads, its meaning, type and an example."""
    version = versioning.current()
    return render(
        request,
        "programmes/open_data.html",
        {
            "columns": opendata_columns.COLUMNS,
            "source_parts": opendata_columns.SOURCE_PARTS,
            "commongrants": opendata_columns.COMMONGRANTS_FIELDS,
            "downloads": [
                (file_type, reverse("open-data", args=[file_type]), OpenDataFile.objects.newest(file_type))
                for file_type in opendata.FORMATS
            ],
            "version": version.key,
            "build_every_minutes": opendata_columns.BUILD_EVERY_MINUTES,
            "licence": opendata_columns.LICENCE,
        },
    )
