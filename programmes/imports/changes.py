"""What an import changes, told to the people who check it.

The preview's row comparison (ChangeTrackingDiff, which also remembers the columns a row
changes), and what a saved file leaves behind (``record``): its ImportRecord, one audit-history
line per programme (history.py) and one entry per programme in the admin's own history.
"""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext
from import_export import resources
from import_export.results import RowResult

from .. import history
from ..models import ImportRecord, Programme
from .sources import SourceLine, format_sources


class ChangeTrackingDiff(resources.Diff):
    """The library's row diff (shown in the preview), also remembering which columns changed
    for the history. The library reads both sides through ``Diff._read_field_values`` on its own
    class, so both are set here."""

    def __init__(self, resource, instance, new):
        self.left = self._values(resource, instance)
        self.right = []
        self.new = new
        self.changed: list[str] = []
        self.preview = resource.preview
        resource.last_diff = self

    def as_html(self):
        # The per-cell HTML is for the admin's preview; the command line keeps no copy per row.
        return super().as_html() if self.preview else []

    def compare_with(self, resource, instance):
        self.right = self._values(resource, instance)
        headers = resource.get_diff_headers()
        self.changed = [
            h for h, left, right in zip(headers, self.left, self.right, strict=False) if left != right
        ]

    @staticmethod
    def _values(resource, instance):
        # Links of new rows are written in bulk at the end (ProgrammeResource.save_m2m): read them
        # from the row.
        pending = resource.row_terms if instance is not None and instance.pk is None else {}
        if instance is not None and instance.pk is None:
            pending = {**pending, "sources": resource.row_sources or []}
        return [
            _pending_cell(pending[f.attribute]) if f.attribute in pending else f.export(instance)
            for f in resource.get_import_fields()
        ]


def _pending_cell(values) -> str:
    if values and isinstance(values[0], SourceLine):
        return format_sources(values)
    return "; ".join(t.slug for t in values)


def record(
    result, *, user, file_name: str, updated: list[Programme], history_user, history_reason: str
) -> None:
    """What a saved import leaves behind: its ImportRecord, the audit history of the programmes it
    changed (those it created are recorded as their batches are inserted), and with a user, one
    entry per created or changed programme in the admin's history."""
    ImportRecord.objects.create(
        user=user if getattr(user, "pk", None) else None,
        file_name=file_name[:255],
        created_count=result.totals[RowResult.IMPORT_TYPE_NEW],
        updated_count=result.totals[RowResult.IMPORT_TYPE_UPDATE],
        unchanged_count=result.totals[RowResult.IMPORT_TYPE_SKIP],
        new_organisations=len(result.new_organisations),
    )
    history.record(updated, user=history_user, reason=history_reason)
    if getattr(user, "pk", None):
        _log_entries(result, user, file_name)


def _log_entries(result, user, file_name: str) -> None:
    """One entry per changed programme in its admin history, saying which columns changed."""
    content_type = ContentType.objects.get_for_model(Programme)
    entries = []
    for row in result.valid_rows():
        if row.import_type not in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE):
            continue
        if row.import_type == RowResult.IMPORT_TYPE_NEW:
            message = gettext("Created by importing “%(file)s”.") % {"file": file_name}
            flag = ADDITION
        else:
            changed = result.spreadsheet_changes.get(str(row.object_id), [])
            message = gettext("Changed by importing “%(file)s”: %(columns)s.") % {
                "file": file_name,
                "columns": ", ".join(changed) or "—",
            }
            flag = CHANGE
        entries.append(
            LogEntry(
                user_id=user.pk,
                content_type_id=content_type.pk,
                object_id=str(row.object_id),
                object_repr=str(row.object_repr)[:200],
                action_flag=flag,
                change_message=message,
            )
        )
    LogEntry.objects.bulk_create(entries)
