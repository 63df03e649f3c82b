"""The programme: what it is, who runs it, where, how much, when, and the columns derived
from what staff typed (award in tenge, search text, link checks, change stamps)."""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import money
from ..choices import Currency, DeadlineType, PublicationState, ReviewReason
from ..search.query import document_for
from ..text import clean_instance_text
from .base import AMOUNT, _choices_check, _filled_in_some_language
from .programme_queries import CHECKED_LINKS, ProgrammeQuerySet, is_broken_result
from .taxonomy import ApplicantKind, BusinessSize, ExchangeRate, Location, ProgrammeType, Sector

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


class LinkedTerms(Mapping):
    """A programme's terms per many-to-many relation (``programme.linked["sectors"]``, in a
    template ``programme.linked.sectors``): those a results page attached (``card_terms``, set by
    cards.attach_card_terms from one query), else the relation's own, prefetched or queried."""

    def __init__(self, programme: "Programme"):
        self._programme = programme

    def __getitem__(self, relation: str) -> list:
        attached = self._programme.__dict__.get("card_terms")
        if attached is not None and relation in attached:
            return attached[relation]
        if relation not in {field.name for field in self._programme._meta.many_to_many}:
            raise KeyError(relation)
        return list(getattr(self._programme, relation).all())

    def __iter__(self):
        return (field.name for field in self._programme._meta.many_to_many)

    def __len__(self) -> int:
        return len(self._programme._meta.many_to_many)


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
    # Named: models/organisations.py imports this module (an organisation lists its programmes).
    organisation = models.ForeignKey(
        "Organisation",
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

    @property
    def linked(self) -> LinkedTerms:
        return LinkedTerms(self)

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


class ProgrammeToReview(Programme):
    """The staff review queue: the same rows as Programme, listed by needing_review()."""

    class Meta:
        proxy = True
        verbose_name = _("programme to review")
        verbose_name_plural = _("programmes to review")
