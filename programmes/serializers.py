"""The public API's representations (Django REST Framework serializers, read only).

Texts are given in the language asked for (programmes/api.py activates it), falling back as the
pages do (``translated``: Russian, English, Kazakh) and saying which language each text is in.
The descriptions below are the OpenAPI schema's (drf-spectacular): English, for developers.
"""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .choices import Currency, DeadlineType, LocationKind, OrganisationKind, Status
from .templatetags.directory import rich_text, translated, web_url

LANGUAGES = ("kk", "ru", "en")


@extend_schema_field(OpenApiTypes.STR)
class TranslatedText(serializers.Field):
    """A translated field in the language asked for, else in the first fallback that has it."""

    def __init__(self, field: str, **kwargs):
        self.translated_field = field
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        return translated(instance, self.translated_field).value


class SanitisedHtml(TranslatedText):
    """A translated Markdown text as the programme page shows it: HTML through the page's own
    allowlist (templatetags.directory.rich_text), safe to insert into another site's page."""

    def to_representation(self, instance):
        return str(rich_text(super().to_representation(instance)))


@extend_schema_field({"type": "number", "nullable": True})
class Amount(serializers.Field):
    """A money amount as a JSON number: whole amounts without a fraction."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Decimal):
        return int(value) if value == value.to_integral_value() else float(value)


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class WebAddress(serializers.Field):
    """A stored link, given only when it is an http(s) address (as the pages show it)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return web_url(value) or None


def _text_languages(instance, fields) -> dict[str, str]:
    return {field: translated(instance, field).language for field in fields}


class TermSerializer(serializers.Serializer):
    slug = serializers.SlugField(
        read_only=True, help_text="Stable identifier, the value of its filter parameter."
    )
    name = serializers.CharField(read_only=True, help_text="Name in the language asked for.")


class PlaceSerializer(TermSerializer):
    kind = serializers.ChoiceField(
        choices=LocationKind.choices, read_only=True, help_text="`city` or `region`."
    )
    region = serializers.SerializerMethodField(
        help_text="The slug of the region a city lies in; null for regions and for Almaty, Astana and "
        "Shymkent (cities of republican significance)."
    )

    def get_region(self, place) -> str | None:
        regions = self.context["places"]
        return regions[place.parent_id].slug if place.parent_id in regions else None


class OrganisationSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True, help_text="Stable identifier, the `organisation` parameter.")
    name = TranslatedText("name", help_text="Name in the language asked for (or its fallback).")
    kind = serializers.ChoiceField(
        choices=OrganisationKind.choices, read_only=True, help_text="What kind of organisation it is."
    )
    website = WebAddress(help_text="The organisation's website, when a cited source is on it.")
    url = serializers.SerializerMethodField(help_text="Its page on this site, in the language asked for.")

    def get_url(self, organisation) -> str:
        return self.context["request"].build_absolute_uri(organisation.get_absolute_url())


class SourceSerializer(serializers.Serializer):
    url = WebAddress(help_text="Address of the source; null for a source that is not online.")
    publisher = serializers.CharField(read_only=True, help_text="Who published it.")
    title = serializers.CharField(read_only=True, help_text="Its title (may be empty).")
    published_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="Its publication date, when it states one."
    )
    accessed_on = serializers.DateField(read_only=True, help_text="The day the directory's team read it.")


class Tenge(serializers.Serializer):
    min = Amount(source="amount_min_kzt", help_text="The minimum in tenge (null for an 'up to' award).")
    max = Amount(source="amount_max_kzt", help_text="The maximum in tenge (null for a 'from' award).")
    rate = serializers.SerializerMethodField(
        help_text="Tenge per unit of the award's currency used (1 for tenge)."
    )
    rate_date = serializers.SerializerMethodField(
        help_text="The day that exchange rate took effect (null for tenge)."
    )

    def _rate(self, programme):
        return self.context["rates"].get(programme.currency)

    @extend_schema_field({"type": "number", "nullable": True})
    def get_rate(self, programme):
        if programme.currency == Currency.KZT:
            return 1
        rate = self._rate(programme)
        return Amount().to_representation(rate.kzt_per_unit) if rate else None

    @extend_schema_field({"type": "string", "format": "date", "nullable": True})
    def get_rate_date(self, programme):
        rate = self._rate(programme)
        return rate.valid_from.isoformat() if rate and programme.currency != Currency.KZT else None

    def to_representation(self, programme):
        data = super().to_representation(programme)
        if programme.amount_min is None:
            data["min"] = None  # stored as 0 for filtering "up to N" awards; no minimum is stated
        return data


class AwardSerializer(serializers.Serializer):
    min = Amount(source="amount_min", help_text="The smallest award, in `currency`; null when not stated.")
    max = Amount(source="amount_max", help_text="The largest award, in `currency`; null when not stated.")
    currency = serializers.ChoiceField(
        choices=Currency.choices, read_only=True, help_text="ISO 4217 code of the amounts."
    )
    note = TranslatedText("amount_note", help_text="What the amount means ('in kind', 'per project'…).")
    kzt = serializers.SerializerMethodField(
        help_text="The same range in tenge with the exchange rate in force today (the figures the "
        "`amount_min`/`amount_max` filters and the amount sorts use); null when no amount is stated "
        "or there is no rate for the currency."
    )

    @extend_schema_field(Tenge(allow_null=True))
    def get_kzt(self, programme):
        if programme.amount_min_kzt is None and programme.amount_max_kzt is None:
            return None
        return Tenge(programme, context=self.context).data


class ProgrammeSerializer(serializers.Serializer):
    """A published programme as the search results show it."""

    TEXTS = ("title", "summary")

    slug = serializers.SlugField(read_only=True, help_text="Stable identifier: `/api/v1/programmes/{slug}/`.")
    url = serializers.SerializerMethodField(help_text="Its page on this site, in the language asked for.")
    title = TranslatedText("title", help_text="Title in the language asked for (or its fallback).")
    summary = TranslatedText("summary", help_text="One or two sentences, plain text.")
    text_languages = serializers.SerializerMethodField(
        help_text="The language each text above is given in: the one asked for, or the fallback "
        "(Russian, then English, then Kazakh) where it is not translated."
    )
    available_languages = serializers.SerializerMethodField(
        help_text="The languages the programme's title is written in (`kk`, `ru`, `en`)."
    )
    organisation = OrganisationSerializer(read_only=True, help_text="Who runs the programme.")
    # The card's terms (Programme.linked: attached to a results page from one query).
    types = TermSerializer(
        source="linked.types", many=True, read_only=True, help_text="Programme types (grant, loan…)."
    )
    sectors = TermSerializer(
        source="linked.sectors", many=True, read_only=True, help_text="Creative sectors."
    )
    places = PlaceSerializer(
        source="linked.locations",
        many=True,
        read_only=True,
        help_text="Where applicants must be based (empty when nationwide or not stated).",
    )
    nationwide = serializers.BooleanField(
        source="is_nationwide", read_only=True, help_text="Open to applicants anywhere in Kazakhstan."
    )
    applicant_kinds = TermSerializer(many=True, read_only=True, help_text="Who may apply.")
    business_sizes = TermSerializer(many=True, read_only=True, help_text="Business sizes it is for.")
    award = AwardSerializer(source="*", read_only=True, help_text="The award per applicant.")
    deadline_type = serializers.ChoiceField(
        choices=DeadlineType.choices,
        read_only=True,
        help_text="`fixed`, `rolling` (apply any time), `recurring` rounds, `until-funds-exhausted`, "
        "or `not-published` (no source states the dates: ask the organiser).",
    )
    deadline_note = TranslatedText("deadline_note", help_text="Anything more about the dates.")
    opens_on = serializers.DateField(read_only=True, allow_null=True, help_text="Opening date, if known.")
    closes_on = serializers.DateField(read_only=True, allow_null=True, help_text="Closing date, if known.")
    status = serializers.ChoiceField(
        choices=Status.choices,
        read_only=True,
        help_text="Today in Asia/Almaty: `open`, `upcoming`, `unknown` (dates not published) or `closed`.",
    )
    apply_url = WebAddress(help_text="Where to apply, when known.")
    sources = SourceSerializer(many=True, read_only=True, help_text="The sources its facts are cited from.")
    last_verified_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="When staff last checked it on the organiser's own page; null until they have.",
    )
    newest_source_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="The date of its newest source."
    )
    updated_at = serializers.DateTimeField(read_only=True, help_text="When it was last changed.")

    def get_url(self, programme) -> str:
        return self.context["request"].build_absolute_uri(programme.get_absolute_url())

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {"type": "string", "enum": list(LANGUAGES)},
            "example": {"title": "ru", "summary": "en"},
        }
    )
    def get_text_languages(self, programme):
        return _text_languages(programme, self.TEXTS)

    @extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(LANGUAGES)}})
    def get_available_languages(self, programme):
        return [language for language in LANGUAGES if (getattr(programme, f"title_{language}") or "").strip()]


# Markdown may carry raw HTML (as Markdown allows): a client rendering it must sanitise it, or
# take the *_html field, which is what the programme page shows.
_RAW = " as staff typed it; it may contain raw HTML, so sanitise what you render, or use the `_html` field"
_SAFE = (
    ", sanitised as the programme page shows it (paragraphs, lists, emphasis, http(s) and mailto links only)"
)


class ProgrammeDetailSerializer(ProgrammeSerializer):
    """A published programme with its long texts (Markdown, as typed by staff)."""

    TEXTS = ("title", "summary", "description", "eligibility", "how_to_apply")

    description = TranslatedText("description", help_text=f"What it offers (Markdown{_RAW}).")
    eligibility = TranslatedText("eligibility", help_text=f"Who can apply (Markdown{_RAW}).")
    how_to_apply = TranslatedText("how_to_apply", help_text=f"How to apply (Markdown{_RAW}).")
    description_html = SanitisedHtml("description", help_text=f"`description` as HTML{_SAFE}.")
    eligibility_html = SanitisedHtml("eligibility", help_text=f"`eligibility` as HTML{_SAFE}.")
    how_to_apply_html = SanitisedHtml("how_to_apply", help_text=f"`how_to_apply` as HTML{_SAFE}.")
    contact = serializers.CharField(read_only=True, help_text="Contact for questions (may be empty).")


class FacetCountSerializer(serializers.Serializer):
    slug = serializers.CharField(read_only=True, help_text="The value of the parameter.")
    name = serializers.CharField(read_only=True, help_text="Its name in the language asked for.")
    count = serializers.IntegerField(
        read_only=True, help_text="Programmes matching with this value and every other parameter."
    )
    selected = serializers.BooleanField(read_only=True, help_text="Whether the request asked for it.")


def _facet_list(help_text):
    return FacetCountSerializer(many=True, read_only=True, help_text=help_text)


class FacetsSerializer(serializers.Serializer):
    type = _facet_list("Counts per programme type.")
    sector = _facet_list("Counts per sector.")
    city = _facet_list("Counts per place (a place counts nationwide programmes too).")
    applicant = _facet_list("Counts per applicant kind.")
    business_size = _facet_list("Counts per business size.")
    organisation = _facet_list("Counts per organisation.")
    status = _facet_list("Counts per status today (every status, selected or not).")


class ProgrammePageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many programmes match, on all pages.")
    page = serializers.IntegerField(help_text="This page's number (from 1).")
    page_size = serializers.IntegerField(help_text="Programmes per page.")
    pages = serializers.IntegerField(help_text="How many pages there are (at least 1).")
    next = serializers.URLField(allow_null=True, help_text="The next page's address, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page's address, or null.")
    language = serializers.ChoiceField(choices=LANGUAGES, help_text="The language of the texts.")
    results = ProgrammeSerializer(many=True, help_text="This page's programmes, in the search page's order.")
    facets = FacetsSerializer(
        required=False, help_text="Only with `facets=1`: the search page's counts beside each filter."
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in the language asked for.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Only on 400: each parameter that is not valid, with what is wrong with it.",
    )
