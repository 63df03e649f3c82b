"""One factory per model, without surprises: every field a test does not set is plain and valid."""

import datetime

import factory
from factory.django import DjangoModelFactory

from programmes import facets
from programmes.choices import DeadlineType, LocationKind, OrganisationKind, PublicationState
from programmes.models import (
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    Location,
    Organisation,
    Programme,
    ProgrammeSource,
    ProgrammeType,
    Sector,
)


class TaxonomyFactory(DjangoModelFactory):
    slug = factory.Sequence(lambda n: f"term-{n}")
    name_en = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    name_ru = factory.LazyAttribute(lambda o: o.name_en)
    name_kk = factory.LazyAttribute(lambda o: o.name_en)

    class Meta:
        abstract = True
        django_get_or_create = ("slug",)


class ProgrammeTypeFactory(TaxonomyFactory):
    class Meta:
        model = ProgrammeType


class SectorFactory(TaxonomyFactory):
    class Meta:
        model = Sector


class ApplicantKindFactory(TaxonomyFactory):
    class Meta:
        model = ApplicantKind


class BusinessSizeFactory(TaxonomyFactory):
    class Meta:
        model = BusinessSize


class LocationFactory(TaxonomyFactory):
    kind = LocationKind.CITY
    parent = None

    class Meta:
        model = Location


class ExchangeRateFactory(DjangoModelFactory):
    currency = "USD"
    kzt_per_unit = "500.00"
    valid_from = factory.Faker("date_between", start_date="-1y", end_date="-1d")

    class Meta:
        model = ExchangeRate


class OrganisationFactory(DjangoModelFactory):
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    name_en = factory.Sequence(lambda n: f"Organisation {n}")
    name_ru = factory.LazyAttribute(lambda o: o.name_en)
    name_kk = factory.LazyAttribute(lambda o: o.name_en)
    kind = OrganisationKind.STATE

    class Meta:
        model = Organisation


def _link(programme, relation, create, terms):
    """Set a many-to-many relation from ``ProgrammeFactory(sectors=[...])``."""
    if create and terms:
        getattr(programme, relation).set(terms)


class ProgrammeFactory(DjangoModelFactory):
    """A published, rolling programme with no amount and no classification unless given."""

    slug = factory.Sequence(lambda n: f"programme-{n}")
    title_en = factory.Sequence(lambda n: f"Programme {n}")
    title_ru = ""
    title_kk = ""
    summary_en = "A short summary."
    organisation = factory.SubFactory(OrganisationFactory)
    state = PublicationState.PUBLISHED
    deadline_type = DeadlineType.ROLLING

    class Meta:
        model = Programme
        skip_postgeneration_save = True

    # ``ProgrammeFactory(sectors=[...])`` for every many-to-many facet (programmes/facets.py). At
    # class scope locals() is the class's namespace, so each assignment declares a field.
    for _relation in facets.RELATIONS:
        locals()[_relation] = factory.PostGeneration(
            lambda obj, create, extracted, relation=_relation, **kw: _link(obj, relation, create, extracted)
        )
    del _relation


class ProgrammeSourceFactory(DjangoModelFactory):
    """An online source read on 1 March 2026, published a month earlier."""

    programme = factory.SubFactory(ProgrammeFactory)
    url = factory.Sequence(lambda n: f"https://news.example.kz/articles/{n}")
    publisher = "Example News"
    title = factory.Sequence(lambda n: f"Article {n}")
    published_on = datetime.date(2026, 2, 1)
    accessed_on = datetime.date(2026, 3, 1)

    class Meta:
        model = ProgrammeSource
