"""Public pages. Views bind the request to a FilterSet or a QuerySet method and render."""

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext, gettext_lazy

from . import resources, services, spam
from .filters import DEFAULT_STATUSES, ProgrammeFilter
from .forms import ProblemReportForm, SuggestionForm
from .models import Organisation, Programme, ProgrammeType, Sector


def _page(request, queryset, warnings: list[str], count: int | None = None):
    paginator = Paginator(queryset, settings.PROGRAMMES_PER_PAGE)
    if count is not None:
        paginator.count = count  # counted already, with the facets
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


def programme_list(request):
    filterset = ProgrammeFilter(request.GET, queryset=Programme.objects.published().with_card_data())
    warnings = filterset.warnings
    page = _page(request, filterset.qs, warnings, count=filterset.counts().total)
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


# --- Public forms ------------------------------------------------------------------------------

# What a person who tripped a check is told (a robot caught by the honeypot is told nothing).
SPAM_MESSAGES = {
    spam.Verdict.TOO_FAST: (
        200,
        gettext_lazy("That was very quick. Please check the form and send it again in a few seconds."),
    ),
    spam.Verdict.EXPIRED: (
        200,
        gettext_lazy("This form was open for more than a day. Please send it again."),
    ),
    spam.Verdict.RATE_LIMITED: (
        429,
        gettext_lazy(
            "We have received several messages from your connection in the last hour. Please try again later."
        ),
    ),
}


def _public_form(request, form_class, template: str, context: dict, save, thanks_url: str):
    """GET shows the form; a POST is judged by spam.check, then validated, saved and redirected
    to the thank-you page (POST/redirect/GET). A robot caught by the honeypot or a forged
    timestamp is redirected there too, with nothing stored, so it learns nothing."""
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        verdict = spam.check(request)
        if verdict is spam.Verdict.BOT:
            return redirect(thanks_url)
        if verdict is spam.Verdict.OK:
            if form.is_valid():
                save(form.cleaned_data)
                spam.count_submission(request)
                return redirect(thanks_url)
        else:
            status, message = SPAM_MESSAGES[verdict]
            form.full_clean()
            form.add_error(None, str(message))
    else:
        form = form_class()
    return render(request, template, {**context, "form": form}, status=status)


def report_problem(request, slug):
    programme = get_object_or_404(Programme.objects.published(), slug=slug)
    return _public_form(
        request,
        ProblemReportForm,
        "programmes/problemreport_form.html",
        {"programme": programme},
        lambda data: services.report_problem(programme, data["message"], data["email"], get_language()),
        reverse("programmes:report_thanks", kwargs={"slug": slug}),
    )


def report_thanks(request, slug):
    programme = get_object_or_404(Programme.objects.published(), slug=slug)
    return render(request, "programmes/thanks.html", {"programme": programme, "kind": "report"})


def suggest_programme(request):
    return _public_form(
        request,
        SuggestionForm,
        "programmes/suggestion_form.html",
        {},
        lambda data: services.suggest_programme(
            name=data["name"],
            organisation=data["organisation"],
            website=data["website"],
            offers=data["offers"],
            email=data["email"],
            language=get_language(),
        ),
        reverse("programmes:suggest_thanks"),
    )


def suggest_thanks(request):
    return render(request, "programmes/thanks.html", {"kind": "suggestion"})
