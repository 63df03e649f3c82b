"""The directory's data: organisations, programmes, their taxonomies and exchange rates.

Domain reads ("published", "open", "available in Almaty") are QuerySet methods defined once here
and reused by views, filters, the admin and exports.
"""

import datetime
import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.db.models import Case, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import get_translation_fields

from . import money
from .choices import (
    AlertFrequency,
    Currency,
    DeadlineType,
    LinkError,
    LocationKind,
    OpenDataFormat,
    OrganisationKind,
    PublicationState,
    ReportStatus,
    ReviewReason,
    Status,
)
from .search.query import document_for
from .text import clean_instance_text

AMOUNT = {"max_digits": 18, "decimal_places": 2}


def _choices_check(field: str, choices: type[models.TextChoices], name: str, null=False):
    condition = Q(**{f"{field}__in": choices.values})
    if null:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


def localized_sort_key(field: str):
    """Sort by a translated field as the page shows it: the page's language, then the fallbacks,
    case-insensitively (a plain order_by uses the page's column only, empty ones first)."""
    current = get_language() or settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    languages = [current, *(lang for lang in settings.MODELTRANSLATION_FALLBACK_LANGUAGES if lang != current)]
    text = models.TextField()
    return Lower(
        Coalesce(*(NullIf(F(f"{field}_{lang}"), Value("")) for lang in languages), output_field=text)
    )


def _filled_in_some_language(field: str, name: str, message):
    """A translated field may be left empty in some languages, never in all three."""
    condition = Q()
    for language in ("kk", "ru", "en"):
        # IS NOT NULL keeps each term true or false, never NULL (which a CHECK accepts).
        condition |= Q(**{f"{field}_{language}__isnull": False, f"{field}_{language}__gt": ""})
    return models.CheckConstraint(condition=condition, name=name, violation_error_message=message)


# --- Taxonomies ---------------------------------------------------------------------------


class TaxonomyQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def in_display_order(self):
        return self.order_by("position", "slug")


class Taxonomy(models.Model):
    """A controlled vocabulary term: a stable slug (used in URLs and imports) and a translated name."""

    slug = models.SlugField(
        _("slug"),
        max_length=60,
        help_text=_("Stable identifier used in links and spreadsheets. Do not change once published."),
    )
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Lower numbers are listed first.")
    )

    objects = TaxonomyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="%(class)s_unique_slug"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class ProgrammeType(Taxonomy):
    class Meta(Taxonomy.Meta):
        verbose_name = _("programme type")
        verbose_name_plural = _("programme types")


class Sector(Taxonomy):
    class Meta(Taxonomy.Meta):
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")


class ApplicantKind(Taxonomy):
    class Meta(Taxonomy.Meta):
        verbose_name = _("applicant kind")
        verbose_name_plural = _("applicant kinds")


class BusinessSize(Taxonomy):
    class Meta(Taxonomy.Meta):
        verbose_name = _("business size")
        verbose_name_plural = _("business sizes")


class Location(Taxonomy):
    """A city or a region. Regional centres are cities whose parent is their region; the three
    cities of republican significance (Almaty, Astana, Shymkent) have no parent."""

    kind = models.CharField(_("kind"), max_length=10, choices=LocationKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"kind": LocationKind.REGION},
        help_text=_("The region a city lies in; empty for regions and for Almaty, Astana, Shymkent."),
    )

    class Meta(Taxonomy.Meta):
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            *Taxonomy.Meta.constraints,
            _choices_check("kind", LocationKind, "location_kind_valid"),
            # Regions are the top level: they sit in no other location.
            models.CheckConstraint(
                condition=~Q(kind=LocationKind.REGION) | Q(parent__isnull=True),
                name="location_region_has_no_parent",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="location_not_own_parent"),
        ]


# --- Exchange rates -------------------------------------------------------------------------


class ExchangeRateQuerySet(models.QuerySet):
    def rates_on(self, day: datetime.date | None = None) -> dict[str, Decimal]:
        """KZT per unit of every currency in force on ``day`` (today in Almaty by default)."""
        return {money.KZT: Decimal(1)} | {
            currency: rate.kzt_per_unit for currency, rate in self.in_force_on(day).items()
        }

    def in_force_on(self, day: datetime.date | None = None) -> dict[str, "ExchangeRate"]:
        """The rate in force on ``day`` (today in Almaty by default) per foreign currency: the
        newest whose ``valid_from`` has come."""
        day = day or timezone.localdate()
        rates: dict[str, ExchangeRate] = {}
        # Newest first, so the first rate seen per currency is the one in force.
        for rate in self.filter(valid_from__lte=day).order_by("currency", "-valid_from"):
            rates.setdefault(rate.currency, rate)
        return rates


class ExchangeRate(models.Model):
    currency = models.CharField(
        _("currency"),
        max_length=3,
        choices=[c for c in Currency.choices if c[0] != Currency.KZT],
    )
    kzt_per_unit = models.DecimalField(
        _("tenge per unit"),
        max_digits=12,
        decimal_places=4,
        help_text=_("How many tenge one unit of the currency buys, e.g. the National Bank's rate."),
    )
    valid_from = models.DateField(_("valid from"), help_text=_("The rate applies from this day on."))

    objects = ExchangeRateQuerySet.as_manager()

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="exchangerate_unique_day"),
            models.CheckConstraint(condition=Q(kzt_per_unit__gt=0), name="exchangerate_positive"),
            models.CheckConstraint(
                condition=Q(currency__in=[Currency.USD, Currency.EUR, Currency.GBP]),
                name="exchangerate_currency_valid",
            ),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.kzt_per_unit} KZT ({self.valid_from:%Y-%m-%d})"


# --- Organisations ------------------------------------------------------------------------------


class OrganisationQuerySet(TaxonomyQuerySet):
    """Organisations are looked up and counted like taxonomy terms (by slug, per programme)."""

    def in_display_order(self):
        return self.order_by(localized_sort_key("name"), "slug")

    def with_published_programmes(self):
        """Organisations with at least one published programme: the ones with a public page (the
        others' pages would list nothing, and the placeholder that public suggestions are filed
        under must not get one)."""
        return self.filter(Exists(Programme.objects.published().filter(organisation=OuterRef("pk"))))


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    website = models.URLField(_("website"), max_length=500, blank=True)
    home_city = models.ForeignKey(
        Location,
        verbose_name=_("home city"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": LocationKind.CITY},
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="organisation_unique_slug"),
            _filled_in_some_language(
                "name", "organisation_has_a_name", _("Give the organisation a name in at least one language.")
            ),
            _choices_check("kind", OrganisationKind, "organisation_kind_valid"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("programmes:organisation", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)


# --- Programmes --------------------------------------------------------------------------------


OPEN_ENDED_DEADLINES = [DeadlineType.ROLLING, DeadlineType.UNTIL_FUNDS_EXHAUSTED]

# The links check_links checks; each has <field>_result, _final and _checked_on columns.
CHECKED_LINKS = ("apply_url", "source_url")
# HTTP answers that mean the page is gone or the site is failing. Other answers (401, 403, 429 …)
# often come from sites that refuse robots while people see the page, so they do not count.
BROKEN_STATUSES = ("404", "410")


def broken_link(field: str) -> Q:
    """The last check of ``field`` (a URL field) found it gone, failing or unreachable."""
    result = f"{field}_result"
    return Q(**{f"{result}__in": [*BROKEN_STATUSES, *LinkError.values]}) | Q(**{f"{result}__startswith": "5"})


def is_broken_result(result: str) -> bool:
    """The same rule as broken_link(), for one stored result."""
    return result in BROKEN_STATUSES or result in LinkError.values or result.startswith("5")


class ProgrammeQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def published(self):
        return self.filter(state=PublicationState.PUBLISHED)

    def with_status(self, today: datetime.date | None = None):
        """Annotate ``status``: open, upcoming or closed on ``today`` (Almaty's today by default).

        Closed once the closing date has passed; upcoming before the opening date; unknown
        ("dates not published") when no source states the dates; upcoming for fixed or
        recurring rounds whose dates are not announced yet; otherwise open. (index.py reads
        these statuses from here.) Annotating twice keeps the first annotation, so callers can
        combine status reads.
        """
        if "status" in self.query.annotations:
            return self
        today = today or timezone.localdate()
        return self.annotate(
            status=Case(
                When(closes_on__lt=today, then=Value(Status.CLOSED)),
                When(opens_on__gt=today, then=Value(Status.UPCOMING)),
                When(deadline_type=DeadlineType.NOT_PUBLISHED, then=Value(Status.UNKNOWN)),
                When(
                    Q(deadline_type__in=OPEN_ENDED_DEADLINES)
                    | Q(opens_on__isnull=False)
                    | Q(closes_on__isnull=False),
                    then=Value(Status.OPEN),
                ),
                default=Value(Status.UPCOMING),
                output_field=models.CharField(),
            )
        )

    def review_rules(self, today: datetime.date | None = None) -> dict[str, Q]:
        """Each reason for review as a condition on a programme (see ``needing_review``)."""
        today = today or timezone.localdate()
        cutoff = today - datetime.timedelta(days=settings.REVIEW_AFTER_DAYS)
        return {
            # Never checked, or last checked more than REVIEW_AFTER_DAYS ago.
            ReviewReason.NOT_VERIFIED: Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=cutoff),
            # with_status shows these as closed, but they are still published: either the
            # programme is over (archive it) or it has a new round (enter its dates).
            ReviewReason.DEADLINE_PASSED: Q(closes_on__lt=today) & ~Q(deadline_type=DeadlineType.RECURRING),
            # A recurring programme whose last known round has closed: the next round's dates
            # are missing. (One with no dates at all honestly says "dates not announced".)
            ReviewReason.NO_NEXT_ROUND: Q(closes_on__lt=today, deadline_type=DeadlineType.RECURRING),
            ReviewReason.BROKEN_LINK: broken_link("apply_url") | broken_link("source_url"),
            ReviewReason.PROBLEM_REPORTED: Q(
                Exists(ProblemReport.objects.filter(programme=OuterRef("pk"), status=ReportStatus.OPEN))
            ),
        }

    def needing_review(self, today: datetime.date | None = None):
        """Published programmes that staff should check, with a boolean annotation per reason
        (``review_<reason>``, read by ``Programme.review_reasons``), least recently verified first
        (never verified first). Drafts and archived programmes are not public, so they are left out."""
        rules = self.review_rules(today)
        flags = {
            Programme.review_flag(reason): ExpressionWrapper(rule, output_field=models.BooleanField())
            for reason, rule in rules.items()
        }
        any_rule = Q()
        for rule in rules.values():
            any_rule |= rule
        return (
            self.published()
            .filter(any_rule)
            .annotate(**flags)
            .order_by(F("last_verified_on").asc(nulls_first=True), "created_at", "pk")
        )

    def with_status_in(self, statuses, today: datetime.date | None = None):
        return self.with_status(today).filter(status__in=list(statuses))

    def closing_within(self, days: int, today: datetime.date | None = None):
        """Open now and closing within ``days`` days (today included)."""
        today = today or timezone.localdate()
        return self.with_status(today).filter(
            status=Status.OPEN, closes_on__lte=today + datetime.timedelta(days=days)
        )

    def linked_to(self, relation: str, values):
        """Programmes linked through many-to-many ``relation`` to any of ``values`` (terms)."""
        # A subquery on the link table instead of a join: no duplicate rows, so no DISTINCT,
        # which keeps ordering and counting cheap.
        through = self.model._meta.get_field(relation).remote_field.through
        target = self.model._meta.get_field(relation).m2m_reverse_field_name()
        return self.filter(pk__in=through.objects.filter(**{f"{target}__in": values}).values("programme_id"))

    def of_types(self, types):
        return self.linked_to("types", types)

    def in_sectors(self, sectors):
        return self.linked_to("sectors", sectors)

    def for_applicants(self, applicant_kinds):
        return self.linked_to("applicant_kinds", applicant_kinds)

    def for_business_sizes(self, sizes):
        return self.linked_to("business_sizes", sizes)

    def available_in(self, locations):
        """Programmes someone in any of ``locations`` can apply to.

        A city: programmes listing the city, listing its region, or nationwide. A region:
        programmes listing the region or any city in it, or nationwide.
        """
        locations = list(locations)
        if not locations:
            return self
        ids = {loc.pk for loc in locations}
        ids |= {loc.parent_id for loc in locations if loc.parent_id}
        region_ids = [loc.pk for loc in locations if loc.kind == LocationKind.REGION]
        ids |= set(Location.objects.filter(parent__in=region_ids).values_list("pk", flat=True))
        through = Programme.locations.through
        return self.filter(
            Q(is_nationwide=True) | Q(pk__in=through.objects.filter(location__in=ids).values("programme_id"))
        )

    def award_overlaps(
        self, low_kzt: Decimal | None, high_kzt: Decimal | None, *, with_unstated: bool = False
    ):
        """Programmes whose award range in tenge overlaps [low, high] (either end may be open).

        Programmes without a stated amount are left out, since the question was about amounts,
        unless ``with_unstated``: the visitor asked to see them as well (the search page offers
        it when the amount hides some).
        """
        overlapping = Q(amount_min_kzt__isnull=False)
        if high_kzt is not None:
            overlapping &= Q(amount_min_kzt__lte=high_kzt)
        if low_kzt is not None:
            overlapping &= Q(amount_max_kzt__gte=low_kzt) | Q(amount_max_kzt__isnull=True)
        if with_unstated:
            overlapping |= Q(amount_min_kzt__isnull=True)
        return self.filter(overlapping)

    def related_to(self, programme: "Programme"):
        """Other programmes sharing a sector with ``programme`` (or a type, when it has no sector)."""
        sectors = list(programme.sectors.all())
        related = self.in_sectors(sectors) if sectors else self.of_types(programme.types.all())
        return related.exclude(pk=programme.pk)

    def for_result_cards(self):
        """``with_card_data`` without the long texts and search columns, which a result card
        or a results export never shows (a third of the time of a page of 20 at 100,000), and
        without the prefetches: ``index.Results`` attaches the types, sectors and places from
        one query and the cached term lists (``index.attach_card_links``)."""
        long_texts = [
            column
            for name in ("description", "eligibility", "how_to_apply")
            for column in (name, *get_translation_fields(name))
        ]
        return (
            self.with_card_data()
            .prefetch_related(None)
            .defer(*long_texts, "search_title", "search_text", "search_latin")
        )

    def with_card_data(self):
        """Everything a result card shows, in a fixed number of queries (the newest source's
        date, ``newest_source_on``, is a subquery of the same statement)."""
        return (
            self.select_related("organisation")
            .prefetch_related("types", "sectors", "locations")
            .annotate(newest_source_on=newest_source_date())
        )

    def ordered_by(self, sort: str):
        """In the order ``sort`` names (an unknown one, like "relevance" without words, is by
        deadline); by relevance: search.matching.order_by_relevance."""
        title = localized_sort_key("title")
        closed = Q(status=Status.CLOSED)
        orderings = {
            # Soonest deadline first and programmes without a closing date last, open before
            # upcoming; closed ones (when asked for) after all of them, most recently closed first.
            "deadline": [
                Case(When(closed, then=Value(1)), default=Value(0)),
                Case(When(~closed, then=F("closes_on"))).asc(nulls_last=True),
                F("closes_on").desc(nulls_last=True),
                "status",
                title,
                "slug",
            ],
            # "From N" programmes (no maximum) rank by their minimum.
            "amount_desc": [
                Coalesce("amount_max_kzt", "amount_min_kzt").desc(nulls_last=True),
                title,
                "slug",
            ],
            "amount_asc": [F("amount_min_kzt").asc(nulls_last=True), title, "slug"],
            "newest": ["-created_at", "slug"],
            "title": [title, "slug"],
        }
        return self.with_status().order_by(*orderings.get(sort, orderings["deadline"]))


# The facts a subscriber is told about when they change ("the deadline moved", "the award grew").
TERMS_FIELDS = ("opens_on", "closes_on", "amount_min", "amount_max", "currency")
TRACKED_FIELDS = ("state", *TERMS_FIELDS)
# What save() compares with the stored row (see Programme.loaded_values).
LOADED_FIELDS = (*TRACKED_FIELDS, *CHECKED_LINKS)
# The columns Programme.derive() computes, besides the link-check columns it clears.
DERIVED_FIELDS = (
    "amount_min_kzt",
    "amount_max_kzt",
    "search_title",
    "search_text",
    "search_latin",
    "published_at",
    "terms_changed_at",
)


class Programme(models.Model):
    # What it is
    # Blank per language: a title in any one language is enough (see the constraint below),
    # since many programmes are announced in Russian or Kazakh only.
    title = models.CharField(_("title"), max_length=250, blank=True)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        help_text=_("Part of the public address. Do not change once published: links would break."),
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="programmes",
    )
    summary = models.TextField(
        _("summary"), blank=True, help_text=_("One or two sentences shown in search results.")
    )
    description = models.TextField(_("description"), blank=True)
    eligibility = models.TextField(_("who can apply"), blank=True)
    how_to_apply = models.TextField(_("how to apply"), blank=True)

    # Classification
    types = models.ManyToManyField(
        ProgrammeType, verbose_name=_("programme types"), related_name="programmes"
    )
    sectors = models.ManyToManyField(Sector, verbose_name=_("sectors"), related_name="programmes", blank=True)
    locations = models.ManyToManyField(
        Location,
        verbose_name=_("locations"),
        related_name="programmes",
        blank=True,
        help_text=_(
            "Where applicants must be based. Leave empty and tick 'nationwide' for all of Kazakhstan."
        ),
    )
    is_nationwide = models.BooleanField(_("nationwide"), default=False)
    applicant_kinds = models.ManyToManyField(
        ApplicantKind, verbose_name=_("who may apply"), related_name="programmes", blank=True
    )
    business_sizes = models.ManyToManyField(
        BusinessSize, verbose_name=_("business sizes"), related_name="programmes", blank=True
    )

    # Money
    amount_min = models.DecimalField(_("minimum award"), null=True, blank=True, **AMOUNT)
    amount_max = models.DecimalField(
        _("maximum award"),
        null=True,
        blank=True,
        help_text=_("For 'up to N' awards fill only the maximum."),
        **AMOUNT,
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.KZT)
    amount_note = models.CharField(
        _("amount note"), max_length=250, blank=True, help_text=_("E.g. 'in kind', 'varies by project'.")
    )
    # Derived from the amounts and the rate in force; kept for filtering and sorting in tenge.
    amount_min_kzt = models.DecimalField(_("minimum award, ₸"), null=True, editable=False, **AMOUNT)
    amount_max_kzt = models.DecimalField(_("maximum award, ₸"), null=True, editable=False, **AMOUNT)
    total_budget = models.DecimalField(_("total budget"), null=True, blank=True, **AMOUNT)
    total_budget_currency = models.CharField(
        _("total budget currency"), max_length=3, choices=Currency.choices, default=Currency.KZT
    )
    expected_awards = models.PositiveIntegerField(_("expected number of awards"), null=True, blank=True)

    # Dates
    deadline_type = models.CharField(
        _("deadline type"), max_length=25, choices=DeadlineType.choices, default=DeadlineType.FIXED
    )
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    deadline_note = models.CharField(_("deadline note"), max_length=250, blank=True)

    # Applying and sources
    apply_url = models.URLField(_("application link"), max_length=500, blank=True)
    source_url = models.URLField(
        _("source"), max_length=500, blank=True, help_text=_("Where the facts on this page come from.")
    )
    contact = models.CharField(_("contact"), max_length=250, blank=True)

    # Editorial
    state = models.CharField(
        _("publication state"),
        max_length=10,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
    )
    last_verified_on = models.DateField(
        _("last verified on"),
        null=True,
        blank=True,
        help_text=_(
            "When staff last checked the facts on the operator's own live page. Leave empty until "
            "then: the page shows the date of the newest source instead."
        ),
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    # Suggested by a visitor through the public form (a draft until staff publish it).
    is_public_suggestion = models.BooleanField(_("suggested by the public"), default=False)
    suggested_organisation = models.CharField(
        _("organisation as suggested"),
        max_length=200,
        blank=True,
        help_text=_("The organisation's name as the visitor typed it; choose or create the real one."),
    )
    suggester_email = models.EmailField(
        _("suggester's email"), blank=True, help_text=_("Never shown on the site.")
    )

    # The last run of manage.py check_links: an HTTP status ("200", "404") or a LinkError value,
    # the address the link finally led to after redirects, and the day of the check.
    apply_url_result = models.CharField(
        _("application link check"), max_length=20, blank=True, editable=False
    )
    apply_url_final = models.URLField(
        _("application link leads to"), max_length=500, blank=True, editable=False
    )
    apply_url_checked_on = models.DateField(_("application link checked on"), null=True, editable=False)
    source_url_result = models.CharField(_("source link check"), max_length=20, blank=True, editable=False)
    source_url_final = models.URLField(_("source link leads to"), max_length=500, blank=True, editable=False)
    source_url_checked_on = models.DateField(_("source link checked on"), null=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # What alerts report (see note_changes): when the programme last became public, and when its
    # dates or award last changed. Kept here rather than read from a history of every edit.
    published_at = models.DateTimeField(_("published"), null=True, editable=False)
    terms_changed_at = models.DateTimeField(_("dates or award changed"), null=True, editable=False)

    # Case-folded text in all languages, so word search is case-insensitive for Cyrillic
    # and Kazakh letters on every database (SQLite's LIKE folds only ASCII).
    search_title = models.TextField(editable=False, default="")
    search_text = models.TextField(editable=False, default="")
    # Titles and organisation names in Latin letters ("Толқын" → "tolqyn"), so that "Damu" finds
    # "Даму" and a typo like "Tolkyn" is near "Tolqyn" (trigram index on PostgreSQL).
    search_latin = models.TextField(editable=False, default="")
    # PostgreSQL's full-text documents live in a table of their own (SearchDocument).

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["title"]
        permissions = [
            ("import_programme", _("Can import programmes from spreadsheets")),
            ("export_programme", _("Can export programmes to spreadsheets")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="programme_unique_slug"),
            _filled_in_some_language(
                "title", "programme_has_a_title", _("Give the programme a title in at least one language.")
            ),
            _choices_check("state", PublicationState, "programme_state_valid"),
            _choices_check("deadline_type", DeadlineType, "programme_deadline_type_valid"),
            _choices_check("currency", Currency, "programme_currency_valid"),
            _choices_check("total_budget_currency", Currency, "programme_budget_currency_valid"),
            models.CheckConstraint(
                condition=Q(amount_min__isnull=True) | Q(amount_min__gte=0),
                name="programme_amount_min_not_negative",
                violation_error_message=_("Amounts cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(amount_max__isnull=True) | Q(amount_max__gte=0),
                name="programme_amount_max_not_negative",
                violation_error_message=_("Amounts cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(amount_min__isnull=True)
                | Q(amount_max__isnull=True)
                | Q(amount_min__lte=models.F("amount_max")),
                name="programme_amount_min_lte_max",
                violation_error_message=_("The minimum award cannot be larger than the maximum award."),
            ),
            models.CheckConstraint(
                condition=Q(total_budget__isnull=True) | Q(total_budget__gte=0),
                name="programme_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(opens_on__isnull=True)
                | Q(closes_on__isnull=True)
                | Q(opens_on__lte=models.F("closes_on")),
                name="programme_opens_before_closes",
                violation_error_message=_("The opening date must be on or before the closing date."),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "closes_on"], name="programme_state_closes"),
            models.Index(fields=["amount_min_kzt", "amount_max_kzt"], name="programme_amount_kzt"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        derived = self.derive()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *derived}
        super().save(*args, **kwargs)
        self._remember_loaded()

    def get_absolute_url(self):
        return reverse("programmes:detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    # Remember what was loaded, so that save() can tell what changed: the links (see
    # forget_stale_checks) and the public terms (note_changes).
    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_loaded()
        return instance

    def derive(self, rates: dict[str, Decimal] | None = None) -> list[str]:
        """Compute every column derived from what staff typed: the one place for it. save(), the
        import's batched inserts (which bypass save) and the synthetic generator all call it.

        Cleans the text first (the search columns are computed from the cleaned text), then the
        award in tenge, the search columns, the link checks an edited link invalidates, and the
        change stamps alerts report. Returns the columns it may have changed. The full-text
        documents are not here: they are built in the database from the saved row and its links
        (search.documents.update_vectors), after the save (signals.programme_saved).
        """
        clean_instance_text(self)
        self.refresh_kzt_amounts(rates)
        self.refresh_search_text()
        forgotten = self.forget_stale_checks()
        self.note_changes()
        return [*forgotten, *DERIVED_FIELDS]

    def forget_stale_checks(self) -> list[str]:
        """Clear the link check of a link that was edited since it was loaded: the result was about
        the old address (a fixed broken link leaves the review queue at once). Returns the columns cleared."""
        cleared = []
        loaded = self.loaded_values() or {}
        for field in CHECKED_LINKS:
            if field in loaded and loaded[field] != getattr(self, field):
                setattr(self, f"{field}_result", "")
                setattr(self, f"{field}_final", "")
                setattr(self, f"{field}_checked_on", None)
                cleared += [f"{field}_result", f"{field}_final", f"{field}_checked_on"]
        return cleared

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._remember_loaded()

    def _remember_loaded(self) -> None:
        # Only the values actually loaded (a deferred field is not fetched just to compare it).
        self._loaded = {name: self.__dict__[name] for name in LOADED_FIELDS if name in self.__dict__}

    def loaded_values(self) -> dict | None:
        """The stored values save() compares with (state, terms, links); None for a new programme.

        An existing programme built in memory rather than loaded (simple-history's revert starts
        from a version's copy) reads them from its stored row, once: compared with nothing, a
        revert would move dates without alerts noticing and keep the link checks of other links."""
        if self._state.adding:
            return None
        if not hasattr(self, "_loaded"):
            row = type(self)._base_manager.using(self._state.db).filter(pk=self.pk).values(*LOADED_FIELDS)
            self._loaded = row.first()  # None: no such row (a deleted programme restored), so new
        return self._loaded

    def note_changes(self, now: datetime.datetime | None = None) -> None:
        """Stamp ``published_at`` when the programme becomes public (new, or back from draft or
        the archive: news again) and ``terms_changed_at`` when its dates or award change while
        it is public. Compared with the values loaded from the database."""
        now = now or timezone.now()
        tracked = self.loaded_values()
        is_published = self.state == PublicationState.PUBLISHED
        if tracked is None:
            if is_published and self.published_at is None:
                self.published_at = now
            return
        if is_published and tracked.get("state", self.state) != PublicationState.PUBLISHED:
            self.published_at = now
        elif is_published and any(
            name in tracked and tracked[name] != getattr(self, name) for name in TERMS_FIELDS
        ):
            self.terms_changed_at = now

    def refresh_kzt_amounts(self, rates: dict[str, Decimal] | None = None) -> bool:
        """Recompute the award range in tenge; True when it changed."""
        if rates is None:
            rates = ExchangeRate.objects.rates_on() if self.currency != money.KZT else {money.KZT: Decimal(1)}
        low, high = money.award_range_in_kzt(self.amount_min, self.amount_max, rates.get(self.currency))
        changed = (low, high) != (self.amount_min_kzt, self.amount_max_kzt)
        self.amount_min_kzt, self.amount_max_kzt = low, high
        return changed

    def refresh_search_text(self) -> bool:
        """Recompute the case-folded search columns; True when they changed."""
        title, text, latin = document_for(self, postgresql=connection.vendor == "postgresql")
        changed = (title, text, latin) != (self.search_title, self.search_text, self.search_latin)
        self.search_title, self.search_text, self.search_latin = title, text, latin
        return changed

    def broken_rules(self) -> list[str]:
        """The constraints a person can break by typing, checked without the database, with the
        constraints' own messages (used where thousands of rows are validated at once)."""
        broken = []
        if not any(getattr(self, f"title_{lang}", None) for lang in ("kk", "ru", "en")):
            broken.append(self._constraint_message("programme_has_a_title"))
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            broken.append(self._constraint_message("programme_amount_min_lte_max"))
        if self.opens_on and self.closes_on and self.opens_on > self.closes_on:
            broken.append(self._constraint_message("programme_opens_before_closes"))
        for amount in (self.amount_min, self.amount_max, self.total_budget):
            if amount is not None and amount < 0:
                broken.append(self._constraint_message("programme_amount_min_not_negative"))
                break
        return broken

    @classmethod
    def _constraint_message(cls, name: str) -> str:
        constraint = next(c for c in cls._meta.constraints if c.name == name)
        return str(constraint.violation_error_message)

    @staticmethod
    def review_flag(reason: str) -> str:
        """The annotation needing_review() sets for ``reason``: "not-verified" → "review_not_verified"."""
        return "review_" + reason.replace("-", "_")

    def review_reasons(self) -> list[ReviewReason]:
        """Why this programme is in the review queue (only on rows from ``needing_review()``)."""
        return [reason for reason in ReviewReason if getattr(self, self.review_flag(reason), False)]

    def link_is_broken(self, field: str) -> bool:
        return is_broken_result(getattr(self, f"{field}_result"))

    def has_future_deadline(self, today: datetime.date | None = None) -> bool:
        """Whether a reminder can be asked for: the closing date is after today (Almaty)."""
        return self.closes_on is not None and self.closes_on > (today or timezone.localdate())

    @property
    def is_converted(self) -> bool:
        """Whether pages show "≈ N ₸" beside an amount given in another currency."""
        return self.currency != money.KZT and self.amount_min_kzt is not None


class ProgrammeSource(models.Model):
    """Where a programme's facts come from: a page or an article, with the date it was published
    and the date the team read it. A source known only by publisher and date (a printed article)
    has no URL, and the page says so."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="sources"
    )
    url = models.URLField(
        _("address"), max_length=500, blank=True, help_text=_("Leave empty for a source that is not online.")
    )
    publisher = models.CharField(
        _("publisher"),
        max_length=200,
        help_text=_("Who published it, e.g. “Kazakhstanskaya Pravda”, “UNDP”."),
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    published_on = models.DateField(
        _("published on"),
        null=True,
        blank=True,
        help_text=_("As the source states it; empty if it gives none."),
    )
    accessed_on = models.DateField(_("read on"), help_text=_("The day the team read the source."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["programme", "order", "pk"]
        constraints = [
            # A source must be findable again: by its address, or by its publisher and date.
            models.CheckConstraint(
                condition=~Q(url="") | Q(published_on__isnull=False),
                name="programmesource_url_or_date",
                violation_error_message=_("Give the source's address, or its publication date."),
            ),
            models.CheckConstraint(
                condition=~Q(publisher=""),
                name="programmesource_has_publisher",
                violation_error_message=_("Name the source's publisher."),
            ),
        ]

    def __str__(self):
        return f"{self.publisher}: {self.title}" if self.title else self.publisher

    @property
    def dated_on(self) -> datetime.date:
        """The source's date: when it was published, or, when it states none, when it was read."""
        return self.published_on or self.accessed_on


def newest_source_date() -> Subquery:
    """The date of a programme's newest source (see ProgrammeSource.dated_on), as a subquery."""
    return Subquery(
        ProgrammeSource.objects.filter(programme=OuterRef("pk"))
        .annotate(dated_on=Coalesce("published_on", "accessed_on"))
        .order_by("-dated_on")
        .values("dated_on")[:1],
        output_field=models.DateField(),
    )


class SearchDocument(models.Model):
    """A programme's full-text documents on PostgreSQL, rebuilt by
    ``search.documents.vector_sql`` (the table stays empty on SQLite, which searches the folded
    text columns instead).

    A table of its own with the vectors stored out of line, so that its rows are about 100 bytes:
    finding the 30,000 programmes that contain a common word then reads the GIN indexes and a few
    hundred small pages, not 100,000 wide programme rows (docs/benchmarks.md). One vector per
    relevance tier (search.query.TIERS): the titles and their Latin spelling; the summaries and the
    organisation's names; the whole, which is those two with the long texts and the names of the
    types, sectors and places (one scan says whether a word is anywhere).
    """

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, primary_key=True, related_name="document", editable=False
    )
    title = SearchVectorField(null=True, editable=False)
    short = SearchVectorField(null=True, editable=False)
    whole = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        default_permissions = ()

    def __str__(self):
        return str(self.programme_id)


class SearchWord(models.Model):
    """A word of the programmes' titles and organisation names, in Latin letters (PostgreSQL
    only, like SearchDocument): the vocabulary that a misspelt word is corrected against
    (search.postgres.spelt_alike), through a trigram index. A small table, so finding "tolqyn"
    for "Tolkyn" takes milliseconds, where comparing the query with the titles of 100,000
    programmes took seconds. Words of published programmes are added as their documents are
    built (a draft's never: the correction is printed on the page) and not removed; a word no
    published programme has any more is never offered as a correction."""

    word = models.TextField(primary_key=True)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")
        default_permissions = ()

    def __str__(self):
        return self.word


class DirectoryVersion(models.Model):
    """The directory's version: one row that every change to what the public pages show advances
    in the same transaction as the change (database triggers, migration 0014; versioning.py).

    Everything a process keeps in memory or in the cache (the search index, term lists, whole
    pages, word matches) is filed under ``epoch.number``, read once per request, so the next
    request to any process after a commit serves that commit. ``epoch`` is drawn at random when
    the row is created: a database rebuilt from scratch never reuses the keys of an earlier one.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    number = models.BigIntegerField(default=0)
    epoch = models.BigIntegerField()
    # PostgreSQL: the transaction that advanced ``number`` last (one step per transaction).
    txid = models.BigIntegerField(null=True, blank=True)
    # Entries of DirectoryChange below this number have been removed (versioning.prune).
    log_start = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=Q(id=1), name="directoryversion_single_row")]

    def __str__(self):
        return f"{self.epoch}.{self.number}"


class DirectoryChange(models.Model):
    """Which programmes a version changed (written by the same triggers), so that a process can
    bring its search index up to date by re-reading those programmes alone. No programme: a
    change the index cannot follow row by row (a place moved to another region), so rebuild."""

    id = models.BigAutoField(primary_key=True)
    number = models.BigIntegerField(db_index=True)
    programme_id = models.BigIntegerField(null=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.number}: {self.programme_id}"


class OpenDataFileQuerySet(models.QuerySet):
    def newest(self, file_type: str):
        """The newest stored file of ``file_type`` without its content, or None."""
        return self.filter(file_type=file_type).defer("content").order_by("-built_at", "-pk").first()


class OpenDataFile(models.Model):
    """One open-data download (opendata.py) as ``build_open_data`` built it, gzip-compressed, so
    that every worker serves the same file from the database and none builds it in a request.

    Not one of the public tables (versioning.public_tables): writing it does not advance the
    directory version, or every build would make the next one due."""

    file_type = models.CharField(_("format"), max_length=4, choices=OpenDataFormat.choices)
    version = models.CharField(
        _("directory version"), max_length=41, help_text=_("The directory version the file was built from.")
    )
    status_on = models.DateField(_("statuses on"), help_text=_("The day in Almaty its statuses are for."))
    built_at = models.DateTimeField(_("built at"))
    row_count = models.PositiveIntegerField(_("programmes"))
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    digest = models.CharField(_("SHA-256 of the file"), max_length=64)
    content = models.BinaryField(_("content (gzip)"))

    objects = OpenDataFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("open-data file")
        verbose_name_plural = _("open-data files")
        default_permissions = ()
        indexes = [models.Index(fields=["file_type", "-built_at"], name="opendatafile_newest")]
        constraints = [_choices_check("file_type", OpenDataFormat, "opendatafile_file_type_valid")]

    def __str__(self):
        return f"programmes.{self.file_type} ({self.version}, {self.status_on})"


class RateCounter(models.Model):
    """A fixed-window counter of the public rate limits (caching.count_in_window), shared by every
    process through the database when there is no Redis. Rows are removed once expired."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True)  # Unix time, seconds

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.key}: {self.count}"


class UsedFormToken(models.Model):
    """A public form's signed render time that has been sent once (spam.py): a second use of
    the same form load is refused, in every process."""

    digest = models.CharField(max_length=64, primary_key=True)
    expires_at = models.BigIntegerField(db_index=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return self.digest


class ImportRecord(models.Model):
    """One spreadsheet import that was saved: who, when, which file, what it did."""

    user = models.ForeignKey(
        "auth.User",
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    created_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    new_organisations = models.PositiveIntegerField(_("new organisations"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"


class ProgrammeToReview(Programme):
    """The staff review queue: the same rows as Programme, listed by needing_review()."""

    class Meta:
        proxy = True
        verbose_name = _("programme to review")
        verbose_name_plural = _("programmes to review")


class ProblemReport(models.Model):
    """A visitor's note that something on a programme's page is wrong or out of date."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="problem_reports"
    )
    message = models.TextField(_("what is wrong"), max_length=2000)
    email = models.EmailField(_("email"), blank=True, help_text=_("Never shown on the site."))
    language = models.CharField(_("page language"), max_length=5, choices=settings.LANGUAGES, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        ordering = ["-created_at"]
        constraints = [
            _choices_check("status", ReportStatus, "problemreport_status_valid"),
            # A report is resolved exactly when it has a resolution time.
            models.CheckConstraint(
                condition=Q(status=ReportStatus.OPEN, resolved_at__isnull=True)
                | Q(status=ReportStatus.RESOLVED, resolved_at__isnull=False),
                name="problemreport_resolved_has_time",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"], name="problemreport_programme_status")]

    def __str__(self):
        return f"{self.programme} ({self.created_at:%Y-%m-%d})"


# --- Alerts and reminders ---------------------------------------------------------------------------


def new_token() -> str:
    """An unguessable identifier for links in emails (256 bits)."""
    return secrets.token_urlsafe(32)


EMAIL_DIGEST_SALT = "programmes.alerts.manage"


def email_digest(email: str) -> str:
    """An address's keyed digest (HMAC-SHA256 under SECRET_KEY), the same for every spelling."""
    return salted_hmac(EMAIL_DIGEST_SALT, email.strip().lower(), algorithm="sha256").hexdigest()


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def unconfirmed_since_before(self, moment: datetime.datetime):
        """Requests never confirmed and older than ``moment``: expired, to be forgotten."""
        return self.filter(confirmed_at__isnull=True, created_at__lt=moment)

    def for_email(self, email: str):
        return self.filter(email=email.strip().lower())

    def for_email_digest(self, digest: str):
        return self.filter(email_digest=digest)


class Subscription(models.Model):
    """What alerts and reminders share: an address that confirmed it wants the emails (double
    opt-in, no account), the language to write in, and the secret token of its links."""

    email = models.EmailField(_("email address"), max_length=254)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    token = models.CharField(max_length=64, default=new_token, editable=False)
    # The "manage my alerts" link's token: the address's HMAC under SECRET_KEY (email_digest),
    # which reveals nothing about the address and cannot be made without the key.
    email_digest = models.CharField(max_length=64, editable=False, db_index=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["token"], name="%(class)s_unique_token"),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="%(class)s_email_lowercase"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email_digest = email_digest(self.email)
        super().save(*args, **kwargs)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class AlertQuerySet(SubscriptionQuerySet):
    def due(self, now: datetime.datetime):
        """Confirmed alerts whose period (a day or a week) has passed since the last digest
        (or since confirmation), with an hour's slack for a scheduler that runs a little early."""
        slack = datetime.timedelta(hours=1)
        condition = Q()
        for frequency, period in ALERT_PERIODS.items():
            cutoff = now - period + slack
            condition |= Q(frequency=frequency) & (
                Q(last_sent_at__lte=cutoff) | Q(last_sent_at__isnull=True, confirmed_at__lte=cutoff)
            )
        return self.confirmed().filter(condition)


ALERT_PERIODS = {
    AlertFrequency.DAILY: datetime.timedelta(days=1),
    AlertFrequency.WEEKLY: datetime.timedelta(days=7),
}


class Alert(Subscription):
    """ "Email me new programmes like these": a saved search sent as a daily or weekly digest."""

    query = models.CharField(
        _("search"), max_length=2000, blank=True, help_text=_("The search page's query string.")
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=AlertFrequency.choices, default=AlertFrequency.WEEKLY
    )
    last_sent_at = models.DateTimeField(_("last digest sent"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta(Subscription.Meta):
        verbose_name = _("search alert")
        verbose_name_plural = _("search alerts")
        ordering = ["email", "created_at"]
        constraints = [
            *Subscription.Meta.constraints,
            models.UniqueConstraint(fields=["email", "query"], name="alert_unique_search_per_email"),
            _choices_check("frequency", AlertFrequency, "alert_frequency_valid"),
        ]

    @property
    def since(self) -> datetime.datetime | None:
        """The start of the period the next digest covers."""
        return self.last_sent_at or self.confirmed_at


class Reminder(Subscription):
    """ "Remind me": emails 14 and 3 days before a programme's closing date. Each reminder
    remembers the closing date it was sent for, so a moved deadline is reminded of again."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="reminders"
    )
    early_sent_for = models.DateField(_("14-day reminder sent for"), null=True, blank=True)
    final_sent_for = models.DateField(_("3-day reminder sent for"), null=True, blank=True)

    class Meta(Subscription.Meta):
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        ordering = ["email", "created_at"]
        constraints = [
            *Subscription.Meta.constraints,
            models.UniqueConstraint(fields=["email", "programme"], name="reminder_unique_per_email"),
        ]
