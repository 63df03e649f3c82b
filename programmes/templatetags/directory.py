"""Display helpers for amounts, deadlines, translations and structured data."""

import json
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import markdown as markdown_lib
import nh3
from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language, get_language_info, gettext, ngettext, pgettext

from ..choices import DeadlineType, Status
from ..filters import known_query
from ..search.highlight import highlight as highlight_words
from ..text import clean_text

register = template.Library()

SYMBOLS = {"KZT": "₸", "USD": "$", "EUR": "€", "GBP": "£"}


def _number(value) -> str:
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else 2
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


@register.filter
def money(value, currency="KZT"):
    """``5000000`` → "5 000 000 ₸" (grouped as the active language writes numbers)."""
    if value in (None, ""):
        return ""
    return f"{_number(value)}\u00a0{SYMBOLS.get(currency, currency)}"


def _range(low, high, currency) -> str:
    if low == high:
        return money(low, currency)
    return f"{_number(low)} – {money(high, currency)}"


@register.simple_tag
def award_range(programme) -> str:
    """The award in its own currency: "up to 5 000 000 ₸", "1 000 – 5 000 $", "from 100 000 ₸"."""
    low, high, cur = programme.amount_min, programme.amount_max, programme.currency
    if low is not None and high is not None:
        return _range(low, high, cur)
    if high is not None:
        return gettext("up to %(amount)s") % {"amount": money(high, cur)}
    if low is not None:
        return gettext("from %(amount)s") % {"amount": money(low, cur)}
    return ""


@register.simple_tag
def kzt_equivalent(programme) -> str:
    """ "≈ 19 695 000 000 ₸" for awards stated in another currency; empty for tenge."""
    if not programme.is_converted:
        return ""
    low, high = programme.amount_min_kzt, programme.amount_max_kzt
    if programme.amount_min is None:
        low = None
    if low is not None and high is not None:
        return f"≈ {_range(low, high, 'KZT')}"
    return f"≈ {money(high if high is not None else low)}"


@register.filter
def highlight(text, query):
    """Escaped text with the words matching the search marked (<mark>)."""
    return highlight_words(str(text), query or "")


# What staff may use in long texts (descriptions, eligibility, how to apply): Markdown's
# paragraphs, emphasis, lists, quotes, links and small headings (the page owns h1 and h2).
RICH_TEXT_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "hr",
}  # fmt: skip
RICH_TEXT_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _only_absolute_links(tag: str, attribute: str, value: str) -> str | None:
    # nh3 passes relative URLs through; a typed link must name its scheme, one of ours.
    if tag == "a" and attribute == "href" and not value.strip().lower().startswith(RICH_TEXT_LINK_SCHEMES):
        return None
    return value


_rich_text_cleaner = nh3.Cleaner(
    tags=RICH_TEXT_TAGS,
    attributes={"a": {"href", "title"}},
    url_schemes={scheme.split(":")[0] for scheme in RICH_TEXT_LINK_SCHEMES},
    link_rel="nofollow noopener",
    strip_comments=True,
    attribute_filter=_only_absolute_links,
)


@register.filter
def rich_text(text) -> str:
    """Markdown typed in the admin or imported, as sanitised HTML: only the tags above, links
    only to http, https and mailto, with rel="nofollow noopener". Raw HTML in the text goes
    through the same allowlist (script, style and iframe elements and on* attributes never do)."""
    html = markdown_lib.markdown(str(text or ""), extensions=["nl2br", "sane_lists"], output_format="html")
    return mark_safe(_rich_text_cleaner.clean(html))  # noqa: S308 (sanitised by nh3 just above)


@register.filter
def web_url(value) -> str:
    """A stored link, if it is a web address; "" otherwise. Forms and imports only accept web
    addresses, but a link must never become a javascript: or data: URL on the page."""
    value = str(value or "").strip()
    return value if value.lower().startswith(("http://", "https://")) else ""


@register.filter
def status_label(status: str) -> str:
    """ "open" → "Open", in the page's language."""
    try:
        return Status(status).label
    except ValueError:
        return ""


@register.simple_tag
def deadline(programme) -> str:
    """What a reader needs to know about when to apply, in one phrase."""
    status = getattr(programme, "status", None)
    if programme.closes_on:
        day = formats.date_format(programme.closes_on, "DATE_FORMAT")
        if status == Status.CLOSED:
            return gettext("Closed on %(date)s") % {"date": day}
        if status == Status.UPCOMING and programme.opens_on:
            opens = formats.date_format(programme.opens_on, "DATE_FORMAT")
            return gettext("Opens %(opens)s, closes %(closes)s") % {"opens": opens, "closes": day}
        return gettext("Closes %(date)s") % {"date": day}
    if programme.opens_on and status == Status.UPCOMING:
        return gettext("Opens %(date)s") % {"date": formats.date_format(programme.opens_on, "DATE_FORMAT")}
    if status == Status.OPEN and programme.deadline_type in (DeadlineType.FIXED, DeadlineType.RECURRING):
        return gettext("Closing date not announced")
    return {
        DeadlineType.ROLLING: gettext("Apply any time"),
        DeadlineType.UNTIL_FUNDS_EXHAUSTED: gettext("Until funds are exhausted"),
        DeadlineType.RECURRING: gettext("Next round: dates to be announced"),
        DeadlineType.NOT_PUBLISHED: gettext("Ask the organiser"),
    }.get(programme.deadline_type, pgettext("deadline", "Dates to be announced"))


@register.simple_tag
def closes_in(programme, today=None) -> str:
    """ "closes in 18 days" beside an open programme's near closing date (within
    settings.CLOSING_SOON_DAYS, the home page's "closing soon"); "" for any other."""
    if not programme.closes_on or getattr(programme, "status", None) != Status.OPEN:
        return ""
    days = (programme.closes_on - (today or timezone.localdate())).days
    if not 0 <= days <= settings.CLOSING_SOON_DAYS:
        return ""
    if days == 0:
        return gettext("closes today")
    return ngettext("closes in %(days)d day", "closes in %(days)d days", days) % {"days": days}


@register.simple_tag
def source_age(day, today=None) -> str:
    """How old a programme's newest source is: "Newest source: 3 months old" ("" without one)."""
    if not day:
        return ""
    today = today or timezone.localdate()
    if day >= today:
        return gettext("Newest source: today")
    return gettext("Newest source: %(age)s old") % {"age": timesince(day, today, depth=1)}


@dataclass
class TranslatedText:
    value: str
    language: str

    @property
    def is_fallback(self) -> bool:
        return self.language != get_language()

    @property
    def language_name(self) -> str:
        return get_language_info(self.language)["name_translated"]

    def __str__(self):
        return self.value


def _fallback_order() -> list[str]:
    current = get_language()
    return [current, *(lang for lang in settings.MODELTRANSLATION_FALLBACK_LANGUAGES if lang != current)]


@register.simple_tag
def translated(obj, field: str) -> TranslatedText:
    """A translated field in the page's language or, failing that, the first fallback that has
    it, together with the language it is in, so the page can say so and mark it up with lang."""
    for language in _fallback_order():
        value = getattr(obj, f"{field}_{language}", "") or ""
        if value.strip():
            return TranslatedText(value, language)
    return TranslatedText("", get_language())


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None removes), for pager links.
    Only the search page's own parameters are kept (filters.known_query)."""
    params = known_query(context["request"].GET)
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    return "?" + params.urlencode() if params else "?"


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

SCHEMA_TYPES = {
    "education": "EducationalOccupationalProgram",
    "scholarship": "EducationalOccupationalProgram",
}


def _cleaned(value):
    if isinstance(value, dict):
        return {key: _cleaned(item) for key, item in value.items()}
    return clean_text(value)


@register.simple_tag(takes_context=True)
def programme_json_ld(context, programme):
    """schema.org data for search engines, escaped so no text can close the script element."""
    request = context["request"]
    type_slugs = [t.slug for t in programme.linked["types"]]
    schema_type = next((SCHEMA_TYPES[s] for s in type_slugs if s in SCHEMA_TYPES), "MonetaryGrant")
    title = translated(programme, "title")
    data = {
        "@context": "https://schema.org",
        "@type": schema_type,
        "name": title.value,
        "description": str(translated(programme, "summary")),
        "url": request.build_absolute_uri(programme.get_absolute_url()),
        "inLanguage": title.language,
    }
    organisation = {
        "@type": "Organization",
        "name": str(translated(programme.organisation, "name")),
        "url": request.build_absolute_uri(programme.organisation.get_absolute_url()),
    }
    if schema_type == "MonetaryGrant":
        data["funder"] = organisation
        if programme.amount_max is not None or programme.amount_min is not None:
            amount = {"@type": "MonetaryAmount", "currency": programme.currency}
            if programme.amount_min is not None:
                amount["minValue"] = float(programme.amount_min)
            if programme.amount_max is not None:
                amount["maxValue"] = float(programme.amount_max)
            data["amount"] = amount
    else:
        data["provider"] = organisation
    if programme.closes_on:
        data["applicationDeadline" if schema_type != "MonetaryGrant" else "endDate"] = (
            programme.closes_on.isoformat()
        )
    citations = [_citation(source) for source in programme.sources.all()]
    if citations:
        data["citation"] = citations
    # Without control characters (stored before text was cleaned on save): JSON would escape
    # them, but search engines read the values as text (text.py).
    payload = json.dumps(_cleaned(data), ensure_ascii=False).translate(_JSON_ESCAPES)
    # The nonce lets the element through the Content Security Policy (script-src 'nonce-…').
    return format_html(
        '<script type="application/ld+json" nonce="{}">{}</script>',
        getattr(request, "csp_nonce", ""),
        mark_safe(payload),  # noqa: S308
    )


def _citation(source) -> dict:
    """A source as a schema.org CreativeWork (the programme's ``citation``)."""
    work = {"@type": "CreativeWork", "publisher": {"@type": "Organization", "name": source.publisher}}
    if source.title:
        work["name"] = source.title
    if web_url(source.url):
        work["url"] = source.url
    if source.published_on:
        work["datePublished"] = source.published_on.isoformat()
    return work


@register.simple_tag
def search_url(**params) -> str:
    """A search page query string, e.g. {% search_url sector="film" %} → "?sector=film"."""
    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})
