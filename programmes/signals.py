"""Keep derived programme columns true when the rows they derive from change elsewhere, and the
cached pages and term lists fresh (caching.py)."""

from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver

from . import caching, search, services
from .models import (
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

TERM_MODELS = (ProgrammeType, Sector, Location, ApplicantKind, BusinessSize, Organisation)


@receiver([post_save, post_delete], sender=ExchangeRate)
def exchange_rate_changed(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata: the programmes are refreshed by the loader itself
        return
    # All currencies: a rate edited from USD to EUR changes programmes in both.
    services.refresh_kzt_amounts()


@receiver(post_save, sender=Organisation)
def organisation_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or created:  # a new organisation has no programmes yet
        return
    # Programmes are found by their organisation's name, in every language.
    services.refresh_search_text(instance.programmes.all())


@receiver(post_save, sender=ProgrammeType)
@receiver(post_save, sender=Sector)
@receiver(post_save, sender=Location)
def taxonomy_renamed(sender, instance, created=False, raw=False, **kwargs):
    if raw or created:
        return
    # The full-text document holds the names of a programme's types, sectors and places. (Where
    # a place lies, its parent, matters to the search index only, rebuilt on every change.)
    search.update_vectors(list(instance.programmes.values_list("pk", flat=True)))


@receiver(m2m_changed, sender=Programme.types.through)
@receiver(m2m_changed, sender=Programme.sectors.through)
@receiver(m2m_changed, sender=Programme.locations.through)
@receiver(m2m_changed, sender=Programme.applicant_kinds.through)
@receiver(m2m_changed, sender=Programme.business_sizes.through)
def programme_terms_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # a term's programmes changed: rebuild those programmes
        search.update_vectors(list(pk_set or []))
    else:
        search.update_vectors([instance.pk])


def _directory_changed(sender, action="post_", **kwargs):
    if action.startswith("post_"):  # m2m_changed sends pre_ and post_; other signals no action
        caching.invalidate()


@receiver(post_migrate)
def rebuild_missing_documents(sender, app_config=None, using="default", **kwargs):
    # Migrations that change what a search document holds empty the documents; they are rebuilt
    # here, after the last migration, with the columns today's code expects (a migration that
    # built them would break as soon as the code's documents gained a column).
    if app_config is None or app_config.label != "programmes":
        return
    search.rebuild_missing_documents(using)


# Everything a public page shows: programmes, their links and sources (a card shows the newest
# source's age), organisations, terms and the rates behind the amounts in tenge. (Bulk writes
# that send no signals invalidate themselves.)
for _model in (Programme, ProgrammeSource, ExchangeRate, *TERM_MODELS):
    post_save.connect(_directory_changed, sender=_model, dispatch_uid=f"cache-saved-{_model.__name__}")
    post_delete.connect(_directory_changed, sender=_model, dispatch_uid=f"cache-deleted-{_model.__name__}")
for _name in ("types", "sectors", "locations", "applicant_kinds", "business_sizes"):
    m2m_changed.connect(
        _directory_changed,
        sender=getattr(Programme, _name).through,
        dispatch_uid=f"cache-links-{_name}",
    )
