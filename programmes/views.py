"""Public pages. Views bind the request to a FilterSet or a QuerySet method and render."""

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language, gettext

from . import resources
from .caching import cached_page
from .filters import DEFAULT_STATUSES, ProgrammeFilter
from .models import Organisation, Programme, ProgrammeType, Sector


def _page(request, queryset, warnings: list[str]):
    paginator = Paginator(queryset, settings.PROGRAMMES_PER_PAGE)
    raw = request.GET.get("page", "1")
    try:
        return paginator.page(raw)
    except (PageNotAnInteger, EmptyPage):
        warnings.append(gettext("There is no page “%(page)s”; showing the first page.") % {"page": raw[:20]})
        return paginator.page(1)


def home(request):
    current = Programme.objects.published().with_status_in(DEFAULT_STATUSES)
    return render(
        request,
        "programmes/home.html",
        {
            "types": ProgrammeType.objects.with_programme_counts(current),
            "sectors": Sector.objects.with_programme_counts(current),
            "closing_soon": Programme.objects.published()
            .closing_within(settings.CLOSING_SOON_DAYS)
            .with_card_data()
            .ordered_by("deadline")[:6],
            "closing_soon_days": settings.CLOSING_SOON_DAYS,
        },
    )


@cached_page
def programme_list(request):
    filterset = ProgrammeFilter(request.GET, queryset=Programme.objects.published().with_card_data())
    warnings = filterset.warnings
    page = _page(request, filterset.qs, warnings)
    return render(
        request,
        "programmes/programme_list.html",
        {
            "filter": filterset,
            "facets": filterset.facets(),
            "status_options": filterset.status_options(),
            "query": filterset.form.cleaned_data.get("q", ""),
            "page_obj": page,
            "programmes": page.object_list,
            "warnings": warnings,
        },
    )


PUBLIC_EXPORT_FORMATS = {"csv": resources.CSV, "xlsx": resources.XLSX}


def programme_export(request, file_type):
    """The search page's results as a spreadsheet: same parameters, all pages up to a cap."""
    if file_type not in PUBLIC_EXPORT_FORMATS:
        raise Http404
    filterset = ProgrammeFilter(request.GET, queryset=Programme.objects.published().with_card_data())
    programmes = filterset.qs[: settings.PUBLIC_EXPORT_LIMIT]
    file_format = PUBLIC_EXPORT_FORMATS[file_type]()
    dataset = resources.public_export(programmes, request.build_absolute_uri)
    response = HttpResponse(file_format.export_data(dataset), content_type=file_format.get_content_type())
    response["Content-Disposition"] = f'attachment; filename="programmes-{get_language()}.{file_type}"'
    return response


def programme_detail(request, slug):
    programme = get_object_or_404(
        Programme.objects.published()
        .with_status()
        .with_card_data()
        .select_related("organisation__home_city")
        .prefetch_related("applicant_kinds", "business_sizes"),
        slug=slug,
    )
    related = (
        Programme.objects.published()
        .with_status()
        .related_to(programme)
        .with_card_data()
        .ordered_by("deadline")[:4]
    )
    return render(request, "programmes/programme_detail.html", {"programme": programme, "related": related})


def organisation_detail(request, slug):
    organisation = get_object_or_404(Organisation.objects.select_related("home_city"), slug=slug)
    programmes = organisation.programmes.published().with_status().with_card_data().ordered_by("deadline")
    warnings: list[str] = []
    page = _page(request, programmes, warnings)
    return render(
        request,
        "programmes/organisation_detail.html",
        {
            "organisation": organisation,
            "programmes": page.object_list,
            "page_obj": page,
            "warnings": warnings,
        },
    )
