"""Keep derived programme columns true when the rows they derive from change elsewhere. (What the
processes keep is keyed on the directory version, which database triggers advance: versioning.py.)"""

from django.db import connections
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save
from django.dispatch import receiver

from . import facets, services, versioning
from .models import ExchangeRate, Organisation, Programme
from .search import documents
from .text import clean_instance_text


@receiver(pre_save)
def text_cleaned(sender, instance, raw=False, **kwargs):
    # Whatever saves a row of ours (the admin, the public forms, services, revert), control
    # characters never reach the database: one ESC in a title would break the feed and the XLSX
    # export for everyone (text.py). Fixture loads (raw) are stored as they are.
    if not raw and sender._meta.app_label == "programmes":
        clean_instance_text(instance)


@receiver([post_save, post_delete], sender=ExchangeRate)
def exchange_rate_changed(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata: the programmes are refreshed by the loader itself
        return
    # All currencies: a rate edited from USD to EUR changes programmes in both.
    services.refresh_kzt_amounts()


@receiver(post_save, sender=Programme)
def programme_saved(sender, instance, raw=False, **kwargs):
    # Its full-text documents are built in the database from the saved row (documents.py), in
    # the same transaction; inside deferred_vector_updates() (an import), once at the end.
    # Not for fixture loads (raw): loaddata bypasses Programme.save, which rebuilt them before.
    if raw:
        return
    documents.update_vectors([instance.pk])


@receiver(post_save, sender=Organisation)
def organisation_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or created:  # a new organisation has no programmes yet
        return
    # Programmes are found by their organisation's name, in every language.
    services.refresh_search_text(instance.programmes.all())


def taxonomy_renamed(sender, instance, created=False, raw=False, **kwargs):
    if raw or created:
        return
    # The full-text document holds the names of a programme's named terms (types, sectors,
    # places). (Where a place lies, its parent, matters to the search index only, which the
    # version's triggers keep.)
    documents.update_vectors(list(instance.programmes.values_list("pk", flat=True)))


def programme_terms_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # a term's programmes changed: rebuild those programmes
        documents.update_vectors(list(pk_set or []))
    else:
        documents.update_vectors([instance.pk])


for facet in facets.NAMED:
    post_save.connect(taxonomy_renamed, sender=facet.model, dispatch_uid=f"renamed-{facet.parameter}")
for facet in facets.LINKED:
    m2m_changed.connect(
        programme_terms_changed, sender=facet.through, dispatch_uid=f"linked-{facet.parameter}"
    )


@receiver(post_migrate)
def rebuild_missing_documents(sender, app_config=None, using="default", **kwargs):
    # Migrations that change what a search document holds empty the documents; they are rebuilt
    # here, after the last migration, with the columns today's code expects (a migration that
    # built them would break as soon as the code's documents gained a column).
    if app_config is None or app_config.label != "programmes":
        return
    documents.rebuild_missing_documents(using)
    # SQLite drops a table's triggers when a migration rebuilds it: put the version's back.
    versioning.restore_triggers(using)
    # A new schema can change what the pages show without writing a row: every process starts again.
    with connections[using].cursor() as cursor:
        if "programmes_directoryversion" in connections[using].introspection.table_names(cursor):
            versioning.bump(using)
