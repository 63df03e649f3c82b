"""ProgrammeResource: a spreadsheet's rows read, checked and saved as programmes.

What this adds to django-import-export's defaults, because staff must be able to trust a file:

- All or nothing: a file with any invalid row saves nothing, in the admin and on the command
  line alike (``ProgrammeResource.import_data`` forces a transaction and rolls back on
  validation errors, whatever the caller asks).
- Strict many-to-many cells: an unknown sector, type or location is an error that names the
  value (the stock ``ManyToManyWidget`` drops it silently); values are slugs or names in any of
  the three languages (widgets.py).
- Messages name the row as the spreadsheet shows it (the header is row 1), the column, the value
  and what is wrong, in the staff member's language.
- Rows are saved in batches: new programmes with one INSERT per batch, every changed row's search
  document rebuilt in one statement at the end of the file, the audit history written once per
  programme after the import.
"""

from __future__ import annotations

import logging
import re
import time

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader
from import_export.results import RowResult

from .. import history
from ..choices import Currency, DeadlineType, PublicationState
from ..models import (
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    Location,
    Programme,
    ProgrammeSource,
    ProgrammeType,
    Sector,
)
from ..search import documents
from ..search.query import normalise
from ..text import clean_instance_text
from . import changes
from .columns import COLUMNS, FIELD_VALIDATED, REQUIRED_COLUMNS, TITLE_COLUMNS, header_aliases
from .formats import ImportFileError
from .parsing import CURRENCY_MARKERS, currency_marker, is_blank, shorten
from .sources import SourceLine, SourcesField, SourcesWidget, source_rows, stored_sources
from .widgets import (
    AmountWidget,
    ChoiceWidget,
    CountWidget,
    DateWidget,
    OrganisationWidget,
    SlugWidget,
    TermsWidget,
    TextWidget,
    YesNoWidget,
)

import_log = logging.getLogger("directory.import")

BATCH_SIZE = 500
# What ProgrammeAdmin.publish requires (permissions=["change"]); an import that publishes, too.
PUBLISH_PERMISSION = "programmes.change_programme"


def _m2m(attribute: str, column: str, model) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=TermsWidget(model))


def _keep_when_empty(attribute: str, widget) -> fields.Field:
    """A column whose empty cell means "as it is" (or the model's default for a new row):
    choices and yes/no, which have no empty value in the database."""
    return fields.Field(attribute=attribute, column_name=attribute, widget=widget, saves_null_values=False)


class ProgrammeResource(resources.ModelResource):
    organisation = fields.Field(
        attribute="organisation", column_name="organisation", widget=OrganisationWidget()
    )
    slug = fields.Field(attribute="slug", column_name="slug", widget=SlugWidget())
    types = _m2m("types", "types", ProgrammeType)
    sectors = _m2m("sectors", "sectors", Sector)
    locations = _m2m("locations", "locations", Location)
    applicants = _m2m("applicant_kinds", "applicants", ApplicantKind)
    business_sizes = _m2m("business_sizes", "business_sizes", BusinessSize)
    is_nationwide = _keep_when_empty("is_nationwide", YesNoWidget())
    amount_min = fields.Field(attribute="amount_min", column_name="amount_min", widget=AmountWidget())
    amount_max = fields.Field(attribute="amount_max", column_name="amount_max", widget=AmountWidget())
    total_budget = fields.Field(attribute="total_budget", column_name="total_budget", widget=AmountWidget())
    currency = _keep_when_empty("currency", ChoiceWidget(Currency, CURRENCY_MARKERS))
    total_budget_currency = _keep_when_empty(
        "total_budget_currency", ChoiceWidget(Currency, CURRENCY_MARKERS)
    )
    expected_awards = fields.Field(
        attribute="expected_awards", column_name="expected_awards", widget=CountWidget()
    )
    deadline_type = _keep_when_empty("deadline_type", ChoiceWidget(DeadlineType))
    opens_on = fields.Field(attribute="opens_on", column_name="opens_on", widget=DateWidget())
    closes_on = fields.Field(attribute="closes_on", column_name="closes_on", widget=DateWidget())
    last_verified_on = fields.Field(
        attribute="last_verified_on", column_name="last_verified_on", widget=DateWidget()
    )
    state = _keep_when_empty("state", ChoiceWidget(PublicationState))
    sources = SourcesField(attribute="sources", column_name="sources", widget=SourcesWidget())

    class Meta:
        model = Programme
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("slug",)
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        # Every remaining column (the translated texts, URLs, contact) is plain text.
        return TextWidget

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.progress = kwargs.get("progress")
        # False on the command line: no per-cell HTML differences are kept for a preview.
        self.preview = kwargs.get("preview", True)
        self.unknown_columns: list[str] = []
        self.column_titles: dict[str, str] = {}
        self.messages: list[str] = []
        self.changes: dict[str, list[str]] = {}
        # The preview's first list: (row as the spreadsheet numbers it, "new" or "update", the
        # programme's name, the columns that change), for every row that creates or changes one.
        self.row_summary: list[tuple[int, str, str, list[str]]] = []
        self.repeated_slugs: set[str] = set()
        self.m2m_fields = [
            f for f in self.get_import_fields() if isinstance(f.widget, widgets.ManyToManyWidget)
        ]
        self.row_terms: dict[str, list] = {}
        # The row's sources (None: no sources column), and those of new programmes until their
        # batch is inserted.
        self.row_sources: list[SourceLine] | None = None
        self.new_sources: dict[int, list[SourceLine]] = {}
        self.rates = ExchangeRate.objects.rates_on()
        self.new_instances: list[Programme] = []
        self.new_terms: dict[int, dict] = {}
        self.new_results: list = []
        self.last_new_instance = None
        self.file_error = False
        self.last_diff = None
        # The audit history (history.py): programmes changed by this import, who, and the file.
        self.dry_run = False
        self.updated_instances: list[Programme] = []
        self.history_user = None
        self.history_reason = ""
        # Who the rows are written for (admin and --user): each new, changed or published row
        # needs that user's add, change or publish right (check_row_permissions).
        self.permission_user = None
        self.original_state: str | None = None

    # --- import: all or nothing ------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        self.dry_run = dry_run
        started = time.perf_counter()
        # Every changed row's search document is rebuilt once, in one statement at the end of the
        # file (after_import, inside the import's transaction), not several statements per row.
        with documents.deferred_vector_updates():
            result = super().import_data(
                dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs
            )
        user = kwargs.get("user")
        totals = result.totals
        import_log.info(
            "Import of %s: %s",
            kwargs.get("file_name") or "",
            "dry run" if dry_run else ("saved" if not self._failed(result) else "nothing saved"),
            extra={
                "file_name": str(kwargs.get("file_name") or ""),
                "rows": len(dataset),
                "new": totals[RowResult.IMPORT_TYPE_NEW],
                "updated": totals[RowResult.IMPORT_TYPE_UPDATE],
                "unchanged": totals[RowResult.IMPORT_TYPE_SKIP],
                "errors": len(result.invalid_rows) + len(result.row_errors()) + len(result.base_errors),
                "dry_run": bool(dry_run),
                "user_id": getattr(user, "pk", None),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return result

    @staticmethod
    def _failed(result) -> bool:
        return result.has_errors() or result.has_validation_errors()

    def get_import_fields(self):
        # The library rebuilds this list several times per row; it does not change during an import.
        if not hasattr(self, "_import_fields"):
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def get_queryset(self):
        return (
            Programme.objects.select_related("organisation")
            .prefetch_related("types", "sectors", "locations", "applicant_kinds", "business_sizes", "sources")
            .order_by("slug")
        )

    def get_diff_class(self):
        return changes.ChangeTrackingDiff

    def _refuse_file(self, dataset, message: str):
        """A fault of the whole file (its header row): reported once, not on every row, and
        none of its rows read."""
        self.file_error = True
        for _ in range(len(dataset)):
            dataset.lpop()
        raise ImportFileError(message)

    def before_import(self, dataset, **kwargs):
        user = kwargs.get("user")
        self.history_user = user if getattr(user, "pk", None) else None
        self.permission_user = self.history_user
        self.history_reason = gettext("Import of “%(file)s”") % {"file": kwargs.get("file_name") or "—"}
        self.fields["organisation"].widget.history_user = self.history_user
        self.fields["organisation"].widget.history_reason = self.history_reason
        self.fields["organisation"].widget.permission_user = self.permission_user
        written = [str(h or "").strip() for h in (dataset.headers or [])]
        aliases = header_aliases()
        headers = [aliases.get(normalise(h), h.lower()) for h in written]
        # Messages name a column as the file does ("Максимальная сумма", not "amount_max").
        self.column_titles = {c: h for c, h in zip(headers, written, strict=True) if c in COLUMNS}
        repeated = [c for c in COLUMNS if headers.count(c) > 1]
        if repeated:
            self._refuse_file(
                dataset,
                gettext("The file has the column %(columns)s more than once.")
                % {"columns": ", ".join(f"“{c}”" for c in repeated)},
            )
        dataset.headers = headers
        # LibreOffice and Excel keep thousands of empty rows at the end of a sheet.
        while len(dataset) and all(is_blank(v) for v in dataset[-1]):
            del dataset[-1]
        self.unknown_columns = [h for h in headers if h and h not in COLUMNS]
        missing = [c for c in REQUIRED_COLUMNS if c not in headers]
        if not any(c in headers for c in TITLE_COLUMNS):
            missing.append(" / ".join(TITLE_COLUMNS))
        if missing:
            self._refuse_file(
                dataset,
                gettext("The file has no column %(columns)s. The first row must hold the column names.")
                % {"columns": ", ".join(f"“{c}”" for c in missing)},
            )
        slugs = [str(v).strip().lower() for v in dataset["slug"] if not is_blank(v)]
        self.repeated_slugs = (
            {slug for slug in slugs if slugs.count(slug) > 1} if len(slugs) != len(set(slugs)) else set()
        )

    def _check_import_id_fields(self, headers):
        if not self.file_error:  # a missing slug column is already reported by before_import
            super()._check_import_id_fields(headers)

    def before_import_row(self, row, **kwargs):
        slug = str(row.get("slug") or "").strip().lower()
        if not slug:
            raise ValidationError({"slug": gettext("A slug is required.")})
        if slug in self.repeated_slugs:
            raise ValidationError(
                {"slug": gettext("The slug “%(slug)s” appears more than once in the file.") % {"slug": slug}}
            )
        self._reconcile_currency(row)

    def _reconcile_currency(self, row):
        markers = {currency_marker(row.get(c)) for c in ("amount_min", "amount_max")} - {None}
        if not markers:
            return
        stated = self.fields["currency"].widget.clean(row.get("currency")) if "currency" in row else None
        if len(markers) > 1 or (stated and stated not in markers):
            raise ValidationError(
                {"currency": gettext("The amounts and the currency column name different currencies.")}
            )
        if not stated:
            row["currency"] = markers.pop()

    def import_row(self, row, instance_loader, **kwargs):
        if all(is_blank(v) for v in row.values()):
            result = self.get_row_result_class()()
            result.import_type = RowResult.IMPORT_TYPE_SKIP
            return result
        result = super().import_row(row, instance_loader, **kwargs)
        number = kwargs["row_number"] + 1  # as the spreadsheet shows it: the header is row 1
        if result.validation_error is not None:
            self.messages += self._describe(number, row, result.validation_error)
        for error in result.errors:
            self.messages.append(
                gettext("Row %(row)s: the row could not be saved (%(error)s).")
                % {"row": number, "error": error.error}
            )
        if result.import_type == RowResult.IMPORT_TYPE_NEW and self.last_new_instance is not None:
            self.new_results.append((self.last_new_instance, result))
            self.last_new_instance = None
            if len(self.new_instances) >= BATCH_SIZE:
                try:
                    with transaction.atomic():  # contain a database error to this batch
                        self._flush_new()
                except DatabaseError as error:
                    # The whole file is rolled back; say which rows could not be written.
                    result.import_type = RowResult.IMPORT_TYPE_ERROR
                    result.errors.append(self.get_error_result_class()(error, row=row, number=number - 1))
                    self.messages.append(
                        gettext("Rows up to %(row)s could not be saved (%(error)s).")
                        % {"row": number, "error": error}
                    )
        if result.import_type == RowResult.IMPORT_TYPE_UPDATE and self.last_diff is not None:
            self.changes[str(result.object_id)] = self.last_diff.changed
            self.row_summary.append((number, result.import_type, result.object_repr, self.last_diff.changed))
        elif result.import_type == RowResult.IMPORT_TYPE_NEW:
            self.row_summary.append((number, result.import_type, result.object_repr, []))
        if self.progress:
            self.progress(kwargs["row_number"])
        return result

    def _describe(self, number: int, row, error: ValidationError) -> list[str]:
        columns = {f.attribute: f.column_name for f in self.fields.values()}
        errors = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
        messages = []
        for attribute, problems in errors.items():
            for problem in problems:
                if attribute == NON_FIELD_ERRORS or attribute not in columns:
                    messages.append(gettext("Row %(row)s: %(message)s") % {"row": number, "message": problem})
                    continue
                column = columns[attribute]
                value = shorten(row.get(column))
                # Our widgets' messages quote the value (or the bad part of a list) already.
                parts = [value, *re.split(r"[;,]\s*", value)]
                if value and not any(part and part in problem for part in parts):
                    problem = gettext("%(message)s (value: “%(value)s”)") % {
                        "message": problem,
                        "value": value,
                    }
                messages.append(
                    gettext("Row %(row)s, column “%(column)s”: %(message)s")
                    % {"row": number, "column": self.column_titles.get(column, column), "message": problem}
                )
        return messages

    def import_instance(self, instance, row, **kwargs):
        # The library cleans many-to-many cells only when saving them, after validation, so a
        # misspelt sector would surface as a crash instead of a row error. Check them here.
        errors = {}
        self.row_terms = {}
        self.original_state = instance.state if instance.pk else None
        self.row_sources = None
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # Before the comparison with the stored row: what is saved is the cleaned text (text.py).
        clean_instance_text(instance)
        if "sources" in row:
            try:
                self.row_sources = self.fields["sources"].clean(row)
            except ValueError as error:
                errors["sources"] = [str(error)]
        for field in self.m2m_fields:
            if field.column_name in row:
                try:
                    self.row_terms[field.attribute] = field.clean(row)
                except ValueError as error:
                    errors[field.attribute] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Field validation, plus the model's constraints checked in Python with the same messages.

        Django validates each CheckConstraint with a database query; over thousands of rows that
        was half the import time. The constraints that a cell can break are checked here; the
        database still enforces all of them as the last guard (a violation fails the whole file).
        """
        errors = dict(import_validation_errors or {})
        # Our widgets have parsed and checked amounts, dates, choices, yes/no and the organisation
        # (which full_clean would look up again, one query per row); the rest is validated here.
        exclude = {f.name for f in Programme._meta.concrete_fields if f.name not in FIELD_VALIDATED} | set(
            errors
        )
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for message in instance.broken_rules():
            errors.setdefault(NON_FIELD_ERRORS, []).append(message)
        for attribute, message in self.check_row_permissions(instance):
            errors.setdefault(attribute, []).append(message)
        if errors:
            raise ValidationError(errors)

    def check_row_permissions(self, instance) -> list[tuple[str, str]]:
        """What the importing user may not do with this row (only rows that would be written get
        here: unchanged ones are skipped before validation). The import permission alone lets
        one read a file in; creating needs *add*, changing needs *change*, and making a programme
        public needs what the admin's publish action needs (*change*), for new rows too."""
        user = self.permission_user
        if user is None:  # the command line without --user: whoever runs it has the database
            return []
        problems = []
        if instance.pk is None and not user.has_perm("programmes.add_programme"):
            problems.append(
                (NON_FIELD_ERRORS, gettext("You may not add programmes; this row would create one."))
            )
        if instance.pk is not None and not user.has_perm("programmes.change_programme"):
            problems.append(
                (NON_FIELD_ERRORS, gettext("You may not change programmes; this row would change one."))
            )
        publishing = (
            instance.state == PublicationState.PUBLISHED and self.original_state != PublicationState.PUBLISHED
        )
        if publishing and not user.has_perm(PUBLISH_PERMISSION):
            problems.append(("state", gettext("You may not publish programmes.")))
        return problems

    def save_instance(self, instance, is_create, row, **kwargs):
        """Updates are saved at once; new programmes are inserted in batches (see _flush_new),
        one INSERT per batch instead of one per row, with the same derived columns as save()."""
        if not is_create:
            # No history line per save and per changed link: one per programme after the import.
            instance.skip_history_when_saving = True
            super().save_instance(instance, is_create, row, **kwargs)
            self.updated_instances.append(instance)
            return
        instance.derive(self.rates)  # bulk_create skips save(): the derived columns are computed here
        self.new_instances.append(instance)
        self.last_new_instance = instance

    def save_m2m(self, instance, row, **kwargs):
        if instance.pk is None:  # a new programme: linked when its batch is inserted
            self.new_terms[id(instance)] = dict(self.row_terms)
            if self.row_sources:
                self.new_sources[id(instance)] = self.row_sources
            return
        for attribute, terms in self.row_terms.items():
            getattr(instance, attribute).set(terms)
        if self.row_sources is not None and self.row_sources != stored_sources(instance):
            instance.sources.all().delete()
            ProgrammeSource.objects.bulk_create(source_rows(instance, self.row_sources))
            getattr(instance, "_prefetched_objects_cache", {}).pop("sources", None)

    def _flush_new(self) -> None:
        if not self.new_instances:
            return
        Programme.objects.bulk_create(self.new_instances, batch_size=BATCH_SIZE)
        links: dict[type, list] = {}
        for instance in self.new_instances:
            for attribute, terms in self.new_terms.pop(id(instance), {}).items():
                field = Programme._meta.get_field(attribute)
                through, target = field.remote_field.through, field.m2m_reverse_field_name()
                links.setdefault(through, []).extend(
                    through(programme_id=instance.pk, **{f"{target}_id": term.pk}) for term in terms
                )
        for through, rows in links.items():
            through.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        ProgrammeSource.objects.bulk_create(
            [
                row
                for instance in self.new_instances
                for row in source_rows(instance, self.new_sources.pop(id(instance), []))
            ],
            batch_size=BATCH_SIZE,
        )
        documents.update_vectors([instance.pk for instance in self.new_instances])
        if not self.dry_run:
            history.record(
                self.new_instances, user=self.history_user, reason=self.history_reason, created=True
            )
        for instance, row_result in self.new_results:
            row_result.add_instance_info(instance)  # now it has its id, for the history
        self.new_instances, self.new_results = [], []

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or original is None or original.pk is None:
            return False
        for field in self.get_import_fields():
            if field.column_name not in row:
                continue
            if isinstance(field.widget, widgets.ManyToManyWidget):
                wanted = sorted(t.pk for t in self.row_terms.get(field.attribute, []))
                if wanted != sorted(t.pk for t in field.get_value(original).all()):
                    return False
            elif isinstance(field, SourcesField):
                if self.row_sources is not None and self.row_sources != stored_sources(original):
                    return False
            elif _comparable(field.get_value(instance)) != _comparable(field.get_value(original)):
                return False
        return True

    def after_import(self, dataset, result, **kwargs):
        self._flush_new()
        documents.flush_deferred()  # inside the import's transaction
        result.unknown_columns = self.unknown_columns
        result.new_organisations = list(self.fields["organisation"].widget.created)
        result.messages = self.messages
        result.spreadsheet_changes = self.changes
        result.row_summary = self.row_summary
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        changes.record(
            result,
            user=kwargs.get("user"),
            file_name=str(kwargs.get("file_name") or ""),
            updated=self.updated_instances,
            history_user=self.history_user,
            history_reason=self.history_reason,
        )

    # --- export ------------------------------------------------------------------------------

    def export(self, queryset=None, **kwargs):
        if queryset is not None:
            queryset = queryset.select_related("organisation").prefetch_related(
                "types", "sectors", "locations", "applicant_kinds", "business_sizes", "sources"
            )
        return super().export(queryset=queryset, **kwargs)


def _comparable(value):
    """Values as the spreadsheet sees them: an empty text cell equals a missing one."""
    return "" if value is None else value
