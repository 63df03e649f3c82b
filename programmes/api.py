"""The public, read-only JSON API under /api/v1/ (Django REST Framework; schema by drf-spectacular).

It serves what the pages serve, defined where the pages define it: the search page's FilterSet
and in-memory index (``selectors.search_page``), so a list equals the search page's results for
the same parameters; ``published()`` and ``with_status()``; the cached term lists; pages cached
under the directory version (``caching.cached_page``), and an ETag made of that version.

Every request is counted per address, once for all workers (``caching.count_in_window``); a bad
parameter is a 400 naming it, in the language asked for, never an ignored value (a program
cannot read the search page's warnings) and never a 500.
"""

import hashlib
import math
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import facets, selectors, serializers, versioning
from .caching import cached_page, cached_terms, count_in_window
from .choices import Status
from .filters import CURRENCY_CHOICES, PUBLIC_PARAMETERS, SORT_CHOICES, Problem
from .middleware import asked_language, client_ip
from .models import (
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    Location,
    Organisation,
    Programme,
    ProgrammeType,
    Sector,
)
from .search.query import MAX_QUERY_LENGTH

# Part of every ETag: raise it when a representation changes, so that clients holding an ETag
# of the old one are not told "not modified" by a new release with the same data.
REVISION = "1"
LANGUAGES = [code for code, _name in settings.LANGUAGES]
# The parameters of the list besides the search page's own (its `page` included).
LIST_PARAMETERS = (*PUBLIC_PARAMETERS, "page_size", "facets", "lang")
RATE_WINDOW = 60


class ParameterError(exceptions.APIException):
    status_code = 400
    default_code = "invalid_parameters"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(gettext("Some parameters are not valid."))
        self.errors = errors


class AddressRateThrottle(BaseThrottle):
    """API_REQUESTS_PER_MINUTE requests per client address a minute, counted once for every
    process (in the database, or Redis), like the site's other public limits."""

    def allow_request(self, request, view):
        key = f"api:{client_ip(request) or 'unknown'}"
        return count_in_window(key, RATE_WINDOW) <= settings.API_REQUESTS_PER_MINUTE

    def wait(self):
        # The fixed window began with this address's first request of it: at most a minute.
        return RATE_WINDOW


class AlwaysJSON(BaseContentNegotiation):
    """JSON whatever the Accept header asks: there is nothing else to offer, and a 406 for
    `Accept: text/html` would only puzzle someone trying the address in a browser."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def exception_handler(exc, context):
    """Every error as {"detail": …} (and "errors" per parameter on a 400), in the language
    asked for, with DRF's headers (Retry-After on a 429)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(gettext("There is no such published programme or address in the API."))
    if isinstance(exc, exceptions.Throttled):
        exc.detail = gettext(
            "Too many requests from your address: at most %(limit)d a minute. "
            "Try again in %(seconds)d seconds."
        ) % {"limit": settings.API_REQUESTS_PER_MINUTE, "seconds": exc.wait}
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    response.data = {"detail": str(detail or exc)}
    if isinstance(exc, ParameterError):
        response.data["errors"] = exc.errors
    return response


class LanguageField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=settings.LANGUAGES, required=False, **kwargs)


class FacetsField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        values = ["1", "0", "true", "false"]
        super().__init__(
            choices=[(value, value) for value in values],
            coerce=lambda value: value in {"1", "true"},
            required=False,
            empty_value=False,
            **kwargs,
        )

    def to_python(self, value):
        return super().to_python(value).lower()


class ListParameters(forms.Form):
    """The list's own parameters (the search page's are read by its FilterSet)."""

    page = forms.IntegerField(min_value=1, max_value=10**9, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=settings.API_MAX_PAGE_SIZE, required=False)
    facets = FacetsField()


def _present(query):
    """The query string without empty values: the search form sends every field, and the
    search page reads ``?q=&sector=film`` as ``?sector=film`` (views._without_empty_parameters)."""
    present = query.copy()
    for name, values in query.lists():
        kept = [value for value in values if value.strip()]
        if kept:
            present.setlist(name, kept)
        else:
            del present[name]
    return present


def _problem_message(problem: Problem) -> str:
    if problem.kind == Problem.INVALID:
        return problem.detail
    if problem.kind == Problem.UNKNOWN:
        return gettext("“%(value)s” is not a known value.") % {"value": problem.detail}
    return gettext("There is no exchange rate for %(currency)s yet.") % {"currency": problem.detail}


def _json(data) -> HttpResponse:
    return HttpResponse(JSONRenderer().render(data), content_type="application/json")


ERRORS = {
    400: OpenApiResponse(
        serializers.ErrorSerializer, description="A parameter is not valid; `errors` names it."
    ),
    429: OpenApiResponse(
        serializers.ErrorSerializer,
        description="More than API_REQUESTS_PER_MINUTE requests from this address in a minute; "
        "`Retry-After` says how many seconds to wait.",
    ),
}
LANG = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=LANGUAGES,
    description="Language of names and texts: `kk`, `ru` or `en`. Default: the best match of the "
    "`Accept-Language` header, else `ru`. Texts not translated fall back to Russian, then English, "
    "then Kazakh (`text_languages` says which).",
)


class PublicView(APIView):
    """What every endpoint shares: anonymous, JSON only, GET only, counted per address, in the
    language asked for, answered 304 to a current ETag, and cached under the directory version."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    renderer_classes = (JSONRenderer,)
    content_negotiation_class = AlwaysJSON
    throttle_classes = (AddressRateThrottle,)
    http_method_names = ["get", "head", "options"]
    # The query parameters the answer depends on (the cache key ignores any other).
    parameters: tuple[str, ...] = ("lang",)

    def dispatch(self, request, *args, **kwargs):
        self.language = asked_language(request)
        with translation.override(self.language):
            response = super().dispatch(request, *args, **kwargs)
            # Rendered here, in the language asked for (Django would render after it is reset).
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        response["Content-Language"] = self.language
        patch_vary_headers(response, ["Accept-Language"])
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # the rate limit first: bad requests count too
        field = LanguageField()
        try:
            field.clean(request.GET.get("lang", "").strip())
        except forms.ValidationError as error:
            raise ParameterError({"lang": error.messages}) from None

    def get(self, request, *args, **kwargs):
        # One version per request (versioning.pinned): the ETag, the cache key and the data agree.
        version = versioning.current()
        # The address is part of it: an ETag says "this answer, to this request" (one taken from
        # another address must not turn a 404 or a 400 into a 304).
        address = hashlib.blake2b(request._request.get_full_path().encode(), digest_size=6).hexdigest()
        etag = f'W/"{REVISION}.{version.key}.{timezone.localdate():%Y%m%d}.{self.language}.{address}"'
        # "*" matches any current answer, but whether this address has one is only known once
        # it is built (a 404 or a 400 is not "not modified").
        star = request.headers.get("If-None-Match", "").strip() == "*"
        response = None if star else get_conditional_response(request._request, etag=etag)
        if response is None:
            build = cached_page(parameters=self.parameters)(self.build)
            response = build(request._request, *args, **kwargs)
            if star:  # Django answers 304 only to a 2xx response
                response = get_conditional_response(request._request, etag=etag, response=response)
        if response.status_code in (200, 304):
            response["ETag"] = etag
            # Stored by browsers and proxies, but asked again each time (304 while unchanged):
            # a change to the directory shows at once, as it does on the pages.
            patch_cache_control(response, no_cache=True)
        return response

    def options(self, request, *args, **kwargs):
        # The methods are in the Allow header; browsers' preflights are answered before this,
        # by django-cors-headers.
        return HttpResponse(status=204)

    def build(self, request, *args, **kwargs) -> HttpResponse:
        raise NotImplementedError


def _term_endpoint(model, serializer_class, name: str, description: str):
    class TermList(PublicView):
        term_model = model  # which vocabulary this lists (tests/test_facets.py reads it)

        @extend_schema(
            operation_id=f"list_{name.replace(' ', '_')}",
            summary=f"All {name}",
            description=description,
            parameters=[LANG],
            responses={200: serializer_class(many=True), **ERRORS},
            tags=["taxonomies"],
        )
        def get(self, request, *args, **kwargs):
            return super().get(request, *args, **kwargs)

        def build(self, request):
            places = {place.pk: place for place in cached_terms(Location)}
            terms = cached_terms(model)
            return _json(serializer_class(terms, many=True, context={"places": places}).data)

    TermList.__name__ = f"{model.__name__}List"
    return TermList.as_view()


TAXONOMY_DESCRIPTION = "Every term in the site's display order, with the slug the filter parameter takes."
type_list = _term_endpoint(
    ProgrammeType, serializers.TermSerializer, "types", f"{TAXONOMY_DESCRIPTION} Parameter: `type`."
)
sector_list = _term_endpoint(
    Sector, serializers.TermSerializer, "sectors", f"{TAXONOMY_DESCRIPTION} Parameter: `sector`."
)
place_list = _term_endpoint(
    Location,
    serializers.PlaceSerializer,
    "places",
    f"{TAXONOMY_DESCRIPTION} Parameter: `city`. Regions, and cities with the region they lie in: a city "
    "matches programmes listing it, its region, or nationwide ones; a region matches programmes listing "
    "it or any city in it, or nationwide ones.",
)
applicant_kind_list = _term_endpoint(
    ApplicantKind,
    serializers.TermSerializer,
    "applicant kinds",
    f"{TAXONOMY_DESCRIPTION} Parameter: `applicant`.",
)
business_size_list = _term_endpoint(
    BusinessSize,
    serializers.TermSerializer,
    "business sizes",
    f"{TAXONOMY_DESCRIPTION} Parameter: `business_size`.",
)


class OrganisationList(PublicView):
    @extend_schema(
        operation_id="list_organisations",
        summary="Organisations with published programmes",
        description="Every organisation that has at least one published programme, by name in the "
        "language asked for. Their slugs are the values of the `organisation` parameter.",
        parameters=[LANG],
        responses={200: serializers.OrganisationSerializer(many=True), **ERRORS},
        tags=["organisations"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def build(self, request):
        organisations = Organisation.objects.with_published_programmes().in_display_order()
        return _json(
            serializers.OrganisationSerializer(organisations, many=True, context={"request": request}).data
        )


def _array(name: str, description: str, enum=None) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"type": "array", "items": {"type": "string", "enum": enum} if enum else {"type": "string"}},
        description=description,
        explode=True,
        style="form",
    )


SEARCH_PARAMETERS = [
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": MAX_QUERY_LENGTH},
        description="Search words, in any of the three languages: every word must occur in a title, summary, "
        "description or organisation name (Russian and English word forms, Kazakh suffixes and Latin "
        'spellings match; "quotes" make a phrase, `-word` excludes, `or` gives alternatives; typos are '
        "corrected when nothing matches). Sorted by relevance unless `sort` says otherwise.",
    ),
    _array("type", "Programme type slugs (see /api/v1/types/); any of them."),
    _array("sector", "Sector slugs (see /api/v1/sectors/); any of them."),
    _array(
        "city",
        "Place slugs (see /api/v1/places/): programmes someone there can apply to (listing the place, its "
        "region or a city in it, or nationwide).",
    ),
    _array("applicant", "Applicant kind slugs (see /api/v1/applicant-kinds/); any of them."),
    _array("business_size", "Business size slugs (see /api/v1/business-sizes/); any of them."),
    _array("organisation", "Organisation slugs (see /api/v1/organisations/); any of them."),
    OpenApiParameter(
        "amount_min",
        {"type": "number", "minimum": 0, "maximum": 10**15},
        description="Awards reaching at least this amount (in `currency`): ranges in tenge overlapping "
        "the one asked for. Programmes stating no amount are left out when an amount is asked for, "
        "unless `amount_unstated=true`.",
    ),
    OpenApiParameter(
        "amount_max",
        {"type": "number", "minimum": 0, "maximum": 10**15},
        description="Awards starting at or below this amount (in `currency`); "
        "an 'up to N' award starts at 0.",
    ),
    OpenApiParameter(
        "amount_unstated",
        OpenApiTypes.BOOL,
        description="With `amount_min` or `amount_max`: also list the programmes that state no amount "
        "(the search page's hint under an amount search links this).",
    ),
    OpenApiParameter(
        "currency",
        OpenApiTypes.STR,
        enum=[code for code, _label in CURRENCY_CHOICES],
        description="Currency of `amount_min` and `amount_max` (default `kzt`), converted at today's rate.",
    ),
    _array(
        "status",
        "Status today in Asia/Almaty: `open`, `upcoming`, `unknown` (dates not published), `closed`. "
        "Default: open, upcoming and unknown (all of them when only `closing_within` is given).",
        enum=Status.values,
    ),
    OpenApiParameter(
        "closing_within",
        {"type": "integer", "minimum": 0, "maximum": 366},
        description="Open today and closing within this many days.",
    ),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        enum=[value for value, _label in SORT_CHOICES],
        description="`relevance` (the default: by relevance when there are words, otherwise by deadline), "
        "`deadline` (soonest first, no closing date last), `amount_desc`, `amount_asc`, `newest`, `title`.",
    ),
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1},
        description="Page number, from 1 (a page past the last is empty).",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
        description=f"Programmes per page: 1–{settings.API_MAX_PAGE_SIZE}, default "
        f"{settings.PROGRAMMES_PER_PAGE} (the search page's).",
    ),
    OpenApiParameter(
        "facets",
        OpenApiTypes.BOOL,
        description="`1` or `true` adds `facets`: the search page's counts beside each filter value.",
    ),
    LANG,
]


class ProgrammeList(PublicView):
    parameters = LIST_PARAMETERS

    @extend_schema(
        operation_id="list_programmes",
        summary="Search published programmes",
        description="The search page's results for the same parameters: the same programmes in the same "
        "order (only published ones, ever). Repeat a parameter for several values "
        "(`sector=film&sector=music`): "
        "values of one parameter are alternatives, different parameters all apply. Empty parameters are "
        "ignored; a value that is not valid (an unknown slug, `amount_min=abc`, `page=0`) "
        "is a 400 naming it.",
        parameters=SEARCH_PARAMETERS,
        responses={200: serializers.ProgrammePageSerializer, **ERRORS},
        tags=["programmes"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def build(self, request):
        query = _present(request.GET)
        parameters = ListParameters(query)
        search = selectors.search_page(query)
        errors = {name: list(messages) for name, messages in parameters.errors.items()}
        for problem in search.filterset.problems():
            errors.setdefault(problem.parameter, []).append(_problem_message(problem))
        if errors:
            raise ParameterError(errors)
        page = parameters.cleaned_data["page"] or 1
        page_size = parameters.cleaned_data["page_size"] or settings.PROGRAMMES_PER_PAGE
        results = search.selection().results
        count = len(results)
        pages = max(1, math.ceil(count / page_size))
        start = (page - 1) * page_size
        programmes = results[start : start + page_size] if start < count else []
        prefetch_related_objects(programmes, *facets.UNNAMED_RELATIONS, "sources")
        context = _context(request)
        data = {
            "count": count,
            "page": page,
            "page_size": page_size,
            "pages": pages,
            "next": _page_address(request, query, page + 1) if page < pages else None,
            "previous": _page_address(request, query, min(page - 1, pages)) if page > 1 else None,
            "language": translation.get_language(),
            "results": serializers.ProgrammeSerializer(programmes, many=True, context=context).data,
        }
        if parameters.cleaned_data["facets"]:
            data["facets"] = _facets(search)
        return _json(data)


class ProgrammeDetail(PublicView):
    @extend_schema(
        operation_id="get_programme",
        summary="One published programme",
        description="A published programme by its slug, with its long texts. Drafts and archived "
        "programmes are not found (404).",
        parameters=[
            OpenApiParameter(
                "slug",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The programme's slug, as in `results[].slug` of the list.",
            ),
            LANG,
        ],
        responses={
            200: serializers.ProgrammeDetailSerializer,
            404: OpenApiResponse(
                serializers.ErrorSerializer, description="No published programme has this slug."
            ),
            **ERRORS,
        },
        tags=["programmes"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def build(self, request, slug):
        programme = get_object_or_404(
            Programme.objects.published()
            .with_status()
            .with_card_data()
            .prefetch_related(*facets.UNNAMED_RELATIONS, "sources"),
            slug=slug,
        )
        return _json(serializers.ProgrammeDetailSerializer(programme, context=_context(request)).data)


def _context(request) -> dict:
    return {
        "request": request,
        "places": {place.pk: place for place in cached_terms(Location)},
        "rates": ExchangeRate.objects.in_force_on(),
    }


def _page_address(request, query, page: int) -> str:
    pairs = [
        (name, value)
        for name, values in query.lists()
        if name in LIST_PARAMETERS and name != "page"
        for value in values
    ]
    return request.build_absolute_uri(f"{request.path}?{urlencode([*pairs, ('page', page)])}")


def _facets(search) -> dict:
    def options(items):
        return [
            {
                "slug": option.slug,
                "name": str(option.name),
                "count": option.count,
                "selected": option.selected,
            }
            for option in items
        ]

    facets = {group.name: options(group.options) for group in search.facets()}
    facets["status"] = options(search.status_options())
    return facets


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema, counted like every other API request."""

    throttle_classes = (AddressRateThrottle,)


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files (drf-spectacular-sidecar); its start-up script is a
    separate request (``?script``), so the page needs no inline script under the site's CSP."""

    template_name = "api/swagger_ui.html"
    throttle_classes = (AddressRateThrottle,)


class NotFoundView(PublicView):
    """Any other address under /api/v1/: a JSON 404 rather than the site's HTML page."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise Http404
