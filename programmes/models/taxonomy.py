"""The controlled vocabularies (programme types, sectors, applicant kinds, business sizes,
places) and the exchange rates the awards are converted to tenge with."""

import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import money
from ..choices import Currency, LocationKind
from .base import _choices_check

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
