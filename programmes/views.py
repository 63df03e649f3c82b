"""Public pages. Views bind the request to a FilterSet or a QuerySet method and render."""

import logging
import smtplib
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import DatabaseError, connection, transaction
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language, gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import alerts, facets, selectors, services, spam
from .caching import cached_page
from .filters import PUBLIC_PARAMETERS, normalised_query
from .forms import AlertForm, ProblemReportForm, ReminderForm, SuggestionForm
from .imports import export, formats
from .middleware import client_ip
from .models import Alert, Organisation, Programme, Reminder

logger = logging.getLogger(__name__)


def _page(request, results, warnings: list[str]):
    paginator = Paginator(results, settings.PROGRAMMES_PER_PAGE)
    raw = request.GET.get("page", "1")
    try:
        return paginator.page(raw)
    except (PageNotAnInteger, EmptyPage):
        warnings.append(gettext("There is no page “%(page)s”; showing the first page.") % {"page": raw[:20]})
        return paginator.page(1)


def home(request):
    page = selectors.home(timezone.localdate(), settings.CLOSING_SOON_DAYS, 6)
    return render(
        request,
        "programmes/home.html",
        {
            "types": page.types,
            "sectors": page.sectors,
            "closing_soon": page.closing_soon,
            "closing_soon_days": settings.CLOSING_SOON_DAYS,
        },
    )


def _without_empty_parameters(request):
    """The search form sends every field, filled in or not (``?q=&amount_min=&sort=relevance``):
    such an address is redirected to itself without the empty ones, so that the address a
    visitor shares, bookmarks or sees is the search they made. None when there is none."""
    pairs = [(name, value) for name, values in request.GET.lists() for value in values]
    kept = [(name, value) for name, value in pairs if value.strip()]
    if len(kept) == len(pairs):
        return None
    return HttpResponseRedirect(request.path + (f"?{urlencode(kept)}" if kept else ""))


@cached_page(parameters=PUBLIC_PARAMETERS)
def programme_list(request):
    if (redirected := _without_empty_parameters(request)) is not None:
        return redirected
    search = selectors.search_page(request.GET)
    filterset = search.filterset
    warnings = filterset.warnings
    selection = search.selection()
    matched = selection.matched
    page = _page(request, selection.results, warnings)
    response = render(
        request,
        "programmes/programme_list.html",
        {
            "filter": filterset,
            "facets": search.facets(),
            "status_options": search.status_options(),
            # Corrected words are highlighted as they were found ("Tolkyn" marks "Tolqyn").
            "query": (matched and matched.corrected) or filterset.form.cleaned_data.get("q", ""),
            "page_obj": page,
            "programmes": page.object_list,
            "warnings": warnings,
            "chips": filterset.chips(),
            # Counted only where they help: an amount that hides programmes, an empty page.
            "hidden_without_amount": search.hidden_without_amount(),
            "suggestions": search.suggestions(),
            "matched": matched,
        },
    )
    if warnings:
        # A page about bad input is built for whoever asked, not kept: it repeats what was typed
        # (30,000 characters of words made a 430 kB page), and each variation would take a place
        # in the cache that real searches use (caching._storable reads no-store).
        add_never_cache_headers(response)
    return response


PUBLIC_EXPORT_FORMATS = {"csv": formats.CSV, "xlsx": formats.XLSX}


@cached_page(parameters=PUBLIC_PARAMETERS, throttled=True)
def programme_export(request, file_type):
    """The search page's results as a spreadsheet: same parameters, all pages up to a cap."""
    if file_type not in PUBLIC_EXPORT_FORMATS:
        raise Http404
    programmes = selectors.search_page(request.GET).selection().results[: settings.PUBLIC_EXPORT_LIMIT]
    file_format = PUBLIC_EXPORT_FORMATS[file_type]()
    dataset = export.public_export(programmes, request.build_absolute_uri)
    response = HttpResponse(file_format.export_data(dataset), content_type=file_format.get_content_type())
    response["Content-Disposition"] = f'attachment; filename="programmes-{get_language()}.{file_type}"'
    return response


def programme_detail(request, slug):
    programme = get_object_or_404(
        Programme.objects.published()
        .with_status()
        .with_card_data()
        .select_related("organisation__home_city")
        .prefetch_related(*facets.UNNAMED_RELATIONS, "sources"),
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
    # No page for an organisation with nothing public (such as the placeholder that public
    # suggestions are filed under): public input never creates a public page.
    organisation = get_object_or_404(
        Organisation.objects.with_published_programmes().select_related("home_city"), slug=slug
    )
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
        if verdict is spam.Verdict.OK and form.is_valid():
            with transaction.atomic():
                # A form load is sent once: a replay (or a double click) stores nothing more.
                if not spam.claim_token(request):
                    return redirect(thanks_url)
                # Counted before saving, in the same transaction: two processes cannot both
                # take the last place in the hour.
                if spam.count_submission(request) <= settings.PUBLIC_FORM_RATE_LIMIT:
                    save(form.cleaned_data)
                    return redirect(thanks_url)
                transaction.set_rollback(True)
            verdict = spam.Verdict.RATE_LIMITED
        if verdict is not spam.Verdict.OK:
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


# --- Alerts and reminders -----------------------------------------------------------------------------
# No accounts: a request is confirmed from the email it sends (double opt-in), and every later
# link carries a secret token. Responses never say whether an address was already subscribed.


def _message(request, title: str, text: str, *, status: int = 200):
    return render(
        request, "programmes/subscription_message.html", {"title": title, "text": text}, status=status
    )


def _could_not_send(request):
    return _message(
        request,
        gettext("The email could not be sent"),
        gettext("We could not send the email just now. Please try again later."),
        status=503,
    )


def _too_many(request):
    return _message(
        request,
        gettext("Too many requests"),
        gettext("There have been too many subscription requests for this address. Please try again later."),
        status=429,
    )


def _describe(query: str) -> list[str]:
    return alerts.describe_alert(Alert(query=query))


@require_http_methods(["GET", "POST"])
def alert_subscribe(request):
    """ "Email me new programmes like these": the form is on the search page; this page shows
    it again with its errors (and stands alone at /alerts/?<search>)."""
    if request.method == "GET":
        form = AlertForm(initial={"query": normalised_query(request.GET)})
        query = form.initial["query"]
    else:
        form = AlertForm(request.POST)
        query = normalised_query(QueryDict(request.POST.get("query", "")))
        if form.is_valid():
            email = form.cleaned_data["email"]
            if not alerts.allow_request(email, client_ip(request)):
                return _too_many(request)
            try:
                alerts.request_alert(
                    email, form.cleaned_data["query"], form.cleaned_data["frequency"], get_language()
                )
            except (OSError, smtplib.SMTPException):
                return _could_not_send(request)
            return redirect("programmes:subscription_sent")
    return render(
        request,
        "programmes/alert_form.html",
        {"form": form, "description": _describe(query), "query": query},
        status=400 if form.errors else 200,
    )


@require_POST
def reminder_subscribe(request, slug):
    programme = get_object_or_404(Programme.objects.published(), slug=slug)
    if not programme.has_future_deadline():
        return _message(
            request,
            gettext("No closing date to remind you of"),
            gettext("This programme has no closing date in the future."),
            status=400,
        )
    form = ReminderForm(request.POST)
    if not form.is_valid():
        return render(
            request, "programmes/reminder_form.html", {"form": form, "programme": programme}, status=400
        )
    email = form.cleaned_data["email"]
    if not alerts.allow_request(email, client_ip(request)):
        return _too_many(request)
    try:
        alerts.request_reminder(email, programme, get_language())
    except (OSError, smtplib.SMTPException):
        return _could_not_send(request)
    return redirect("programmes:subscription_sent")


@require_GET
def subscription_sent(request):
    return _message(
        request,
        gettext("Check your inbox"),
        gettext(
            "We have sent you an email with a confirmation link. Nothing else will be sent until you "
            "follow it; the link works for %(days)d days."
        )
        % {"days": settings.ALERT_CONFIRM_DAYS},
    )


@require_http_methods(["GET", "POST"])
def subscription_confirm(request, token):
    """The confirmation link: a GET shows a button and only the POST confirms, so that mail
    scanners that follow links cannot subscribe anyone."""
    try:
        subscription = alerts.subscription_for_confirm_token(token)
    except signing.SignatureExpired:
        return _message(
            request,
            gettext("This link has expired"),
            gettext("Confirmation links work for %(days)d days. Please subscribe again.")
            % {"days": settings.ALERT_CONFIRM_DAYS},
            status=410,
        )
    if subscription is None:
        return _message(
            request,
            gettext("This link is not valid"),
            gettext("The subscription it confirms does not exist: it may have been cancelled."),
            status=404,
        )
    if subscription.is_confirmed or (request.method == "POST" and not alerts.confirm(subscription)):
        return _message(
            request, gettext("Already confirmed"), gettext("This subscription was already confirmed.")
        )
    if request.method == "POST":
        return _message(
            request,
            gettext("Subscription confirmed"),
            gettext("Thank you. Every email we send has a link to unsubscribe at once."),
        )
    return render(request, "programmes/subscription_confirm.html", _subscription_context(subscription))


def _subscription_context(subscription) -> dict:
    if isinstance(subscription, Alert):
        return {"subscription": subscription, "description": _describe(subscription.query)}
    return {"subscription": subscription, "programme": subscription.programme}


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The unsubscribe link of every email: a GET asks, a POST (the button, or a mail client's
    one-click request) cancels at once. The secret token is the only authority needed."""
    subscription = alerts.find_subscription(token)
    if subscription is None:
        return _message(
            request,
            gettext("Already unsubscribed"),
            gettext("There is no subscription for this link: you will not get these emails."),
            status=404,
        )
    if request.method == "POST":
        subscription.delete()
        return _message(request, gettext("Unsubscribed"), gettext("You will get no more of these emails."))
    return render(request, "programmes/unsubscribe.html", _subscription_context(subscription))


@require_http_methods(["GET", "POST"])
def manage_subscriptions(request, token):
    """Every alert and reminder of one address (signed in the link), each with a cancel button."""
    email = alerts.email_for_manage_token(token)
    if email is None:
        return _message(
            request,
            gettext("This link is not valid"),
            gettext("Use the link in one of our emails."),
            status=404,
        )
    if request.method == "POST":
        subscription = alerts.find_subscription(request.POST.get("subscription", ""))
        if subscription is not None and subscription.email == email:
            subscription.delete()
        if alerts.email_for_manage_token(token) is None:  # that was the last one
            return _message(
                request, gettext("Unsubscribed"), gettext("You will get no more of these emails.")
            )
        return redirect(reverse("programmes:manage", args=[token]))
    return render(
        request,
        "programmes/subscription_manage.html",
        {
            "email": email,
            "alerts": [(alert, _describe(alert.query)) for alert in Alert.objects.for_email(email)],
            "reminders": Reminder.objects.for_email(email).select_related("programme"),
        },
    )


@require_GET
def robots_txt(request):
    """Crawlers: the sitemap, and no exports, saved-search feeds or subscription links. The
    admin is named only at its default address: a moved ADMIN_URL is meant to be unknown, and
    robots.txt would publish it (the admin's pages need a login anyway)."""
    lines = ["User-agent: *"]
    if settings.ADMIN_URL == "admin/":
        lines.append("Disallow: /admin/")
    for code, _name in settings.LANGUAGES:
        lines += [
            f"Disallow: /{code}/programmes/export.",
            f"Disallow: /{code}/programmes/feed.atom",
            f"Disallow: /{code}/programmes/calendar.ics",
            f"Disallow: /{code}/alerts/",
        ]
    lines += ["", f"Sitemap: {request.build_absolute_uri(reverse('sitemap-index'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@never_cache
def healthz(request):
    """For load balancers: 200 when this process can reach the database, 503 when it cannot.
    Says nothing else (no versions, no hosts): the address is public."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database is unreachable")
        return JsonResponse({"status": "error"}, status=503)
    return JsonResponse({"status": "ok"})


def bad_request(request, exception):
    """The 400 page (handler400), rendered WITHOUT the request: Django's own handler passes it,
    so the context processors would run, and the language switcher's absolute links call
    request.get_host() again (a bad Host header: a second error, a 500) and repeat the query
    string (a 16 KB one that was too long to redirect: a 100 KB page). The page's language is
    the address's prefix; without one, the language LocaleMiddleware chose. (The HTTPS redirect
    checks the Host before LocaleMiddleware runs: the prefix is then all there is to go by.)"""
    with translation.override(translation.get_language_from_path(request.path_info) or get_language()):
        return HttpResponseBadRequest(render_to_string("400.html"))


def admin_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: the admin's look, the staff member's language,
    how long to wait; 429 so that scripts see a rate limit, not a wrong password."""
    return render(
        request,
        "admin/locked_out.html",
        {
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "title": gettext("Too many failed sign-in attempts"),
        },
        status=429,
    )
