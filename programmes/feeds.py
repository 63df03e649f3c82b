"""Machine-readable views of a search: an Atom feed of its programmes, and iCalendar files of
deadlines (one programme's dates, or every upcoming deadline of a search)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language, gettext
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_GET

from . import selectors
from .caching import cached_page
from .filters import PUBLIC_PARAMETERS, ProgrammeFilter, known_query
from .models import Programme
from .text import clean_text

FEED_LIMIT = 50
CALENDAR_LIMIT = 500


def _search(request) -> ProgrammeFilter:
    return selectors.search_page(request.GET).filterset


def _query(request) -> str:
    query = known_query(request.GET)
    query.pop("page", None)
    return f"?{query.urlencode()}" if query else ""


@dataclass
class FeedSearch:
    filterset: ProgrammeFilter
    query: str  # "?sector=film…" or ""


class _CleanXMLGenerator(SimplerXMLGenerator):
    """Writes text and attributes without control characters: Django's generator refuses the
    whole feed for one of them (a title stored before text was cleaned on save, or the words of
    the search itself)."""

    def characters(self, content):
        super().characters(clean_text(content))

    def startElement(self, name, attrs):
        super().startElement(name, {key: clean_text(value) for key, value in (attrs or {}).items()})


class PlainTextAtomFeed(Atom1Feed):
    """Atom whose summaries are declared what they are: plain text (Django declares them HTML,
    so a reader would render a summary's "<b>" as markup)."""

    def write(self, outfile, encoding):
        handler = _CleanXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class SearchFeed(Feed):
    """The newest programmes of any search (same parameters as the search page), newest first.
    The feed's object is the search: one Feed instance serves every request."""

    feed_type = PlainTextAtomFeed

    def get_object(self, request):
        return FeedSearch(_search(request), _query(request))

    def title(self, obj):
        described = "; ".join(obj.filterset.describe()) or gettext("All programmes")
        return gettext("Programmes: %(search)s") % {"search": described}

    def subtitle(self, obj):
        return gettext("New programmes in the Creative Funding KZ directory that match this search.")

    def link(self, obj):
        return reverse("programmes:list") + obj.query

    def feed_url(self, obj):
        return reverse("programmes:feed") + obj.query

    def items(self, obj):
        return obj.filterset.qs.order_by(F("published_at").desc(nulls_last=True), "-pk")[:FEED_LIMIT]

    def item_title(self, programme):
        return programme.title

    def item_description(self, programme):
        return programme.summary

    def item_link(self, programme):
        return programme.get_absolute_url()

    def item_pubdate(self, programme):
        return programme.published_at or programme.created_at

    def item_updateddate(self, programme):
        return programme.updated_at

    def item_author_name(self, programme):
        return programme.organisation.name

    def item_categories(self, programme):
        return [str(term) for term in (*programme.linked["types"], *programme.linked["sectors"])]


# Each reads up to FEED_LIMIT / CALENDAR_LIMIT programmes: cached per search, and throttled
# per address when built (caching.cached_page).
search_feed = cached_page(SearchFeed(), parameters=PUBLIC_PARAMETERS, throttled=True)


# --- iCalendar ---------------------------------------------------------------------------------------


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Creative Funding KZ//Programme deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", clean_text(name, multiline=False))
    # All-day dates are Almaty's dates; calendar apps that honour this show them on those days.
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    return calendar


def _event(programme: Programme, kind: str, day: datetime.date, url: str) -> icalendar.Event:
    """One all-day event. The UID depends only on the programme and the kind of date, so a
    moved deadline updates the event already in someone's calendar instead of adding one."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    summary = (
        gettext("Deadline: %(title)s") if kind == "closes" else gettext("Applications open: %(title)s")
    ) % {"title": clean_text(programme.title, multiline=False)}
    event = icalendar.Event()
    event.add("uid", f"programme-{programme.pk}-{kind}@{host}")
    event.add("dtstamp", programme.updated_at)
    event.add("dtstart", day)
    event.add("dtend", day + datetime.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", f"{clean_text(programme.summary)}\n\n{url}".strip())
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def _ics_response(calendar: icalendar.Calendar, filename: str) -> HttpResponse:
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def programme_calendar(request, slug):
    """A programme's opening and closing dates as all-day events."""
    programme = get_object_or_404(Programme.objects.published(), slug=slug)
    url = request.build_absolute_uri(programme.get_absolute_url())
    calendar = _calendar(programme.title)
    for kind, day in (("opens", programme.opens_on), ("closes", programme.closes_on)):
        if day is not None:
            calendar.add_component(_event(programme, kind, day, url))
    return _ics_response(calendar, f"{programme.slug}.ics")


@require_GET
@cached_page(parameters=PUBLIC_PARAMETERS, throttled=True)
def search_calendar(request):
    """The closing dates, from today on, of every programme a search finds."""
    today = timezone.localdate()
    programmes = (
        selectors.programme_list(request.GET).filter(closes_on__gte=today).order_by("closes_on", "pk")
    )
    calendar = _calendar(gettext("Programme deadlines"))
    for programme in programmes[:CALENDAR_LIMIT]:
        url = request.build_absolute_uri(programme.get_absolute_url())
        calendar.add_component(_event(programme, "closes", programme.closes_on, url))
    return _ics_response(calendar, f"deadlines-{get_language()}.ics")
