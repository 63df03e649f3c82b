"""Audit history of programmes and organisations (django-simple-history).

Every change leaves a historical row: who, when, why (a readable reason) and the values after the
change, including each language's column and a programme's links to types, sectors, places,
applicant kinds and sizes. The admin lists the rows and can revert to any of them.

``register()`` runs from translation.py, right after the translated fields are registered:
django-modeltranslation adds ``title_kk``, ``title_ru`` … to the model class at registration,
and a historical model copies only the fields that exist when it is built. Declaring
``history = HistoricalRecords()`` on the model would build it too early, without them.

Writes that bypass ``save()`` (queryset updates of the admin actions, the import's batches) call
``record()``, which writes the rows in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable

import simple_history
from django.db import models
from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

from . import facets
from .models import Organisation, Programme

# The links kept with each historical row: every many-to-many facet.
PROGRAMME_LINKS = facets.RELATIONS
# Recomputed from other columns on every save (tenge amounts, search text) or by the clock: a
# revert recomputes them, and listing them would bury the edits staff made among derived ones.
PROGRAMME_DERIVED = (
    "amount_min_kzt",
    "amount_max_kzt",
    "search_title",
    "search_text",
    "search_latin",
    "updated_at",
)


def register() -> None:
    options = {
        # The default (100 characters) is too short for "Changed in the admin: …" lists.
        "history_change_reason_field": models.TextField(null=True),
    }
    simple_history.register(
        Programme, m2m_fields=PROGRAMME_LINKS, excluded_fields=PROGRAMME_DERIVED, **options
    )
    simple_history.register(Organisation, excluded_fields=("updated_at",), **options)


def record(programmes: Iterable[Programme], *, user=None, reason: str = "", created: bool = False) -> int:
    """Write one historical row per programme, as it is in the database now, with its links.

    For writes that do not go through ``Programme.save()``: ``bulk_create``, ``bulk_update`` and
    ``QuerySet.update``. ``programmes`` must hold the saved values (reload them after an update).
    Returns the number of rows written.
    """
    programmes = list(programmes)
    if not programmes:
        return 0
    history = Programme.history.model
    rows = Programme.history.bulk_history_create(
        programmes,
        update=not created,
        default_user=user if getattr(user, "pk", None) else None,
        default_change_reason=reason,
    )
    # PostgreSQL and SQLite (3.35 and later) return the new rows' ids from a bulk insert.
    history_of = {row.id: row.pk for row in rows}
    # The links as they are now, one query per kind of link, copied to the historical link tables.
    for name in PROGRAMME_LINKS:
        field = Programme._meta.get_field(name)
        through = field.remote_field.through
        source, target = get_m2m_field_name(field), get_m2m_reverse_field_name(field)
        link_history = getattr(history, name).model
        links = through.objects.filter(**{f"{source}__in": history_of}).values_list(
            "pk", f"{source}_id", f"{target}_id"
        )
        link_history.objects.bulk_create(
            [
                link_history(
                    history_id=history_of[programme_id],
                    id=link_id,  # the link's own id, as simple-history copies it
                    **{f"{source}_id": programme_id, f"{target}_id": target_id},
                )
                for link_id, programme_id, target_id in links
            ],
            batch_size=500,
        )
    return len(rows)
