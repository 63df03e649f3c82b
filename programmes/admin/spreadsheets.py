"""Spreadsheets in the admin (django-import-export): the programme list's import (upload,
preview, confirmation), export and import template, and the log of the imports that were saved."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportActionMixin, ImportMixin
from import_export.forms import ImportForm
from import_export.results import RowResult

from .. import uploads
from ..imports import formats as import_formats
from ..imports import resource, template
from ..models import ImportRecord
from .base import TitledAdmin


class LimitedImportForm(ImportForm):
    """The upload form, refusing a file past IMPORT_MAX_FILE_SIZE before it is stored or read."""

    def clean_import_file(self):
        import_file = self.cleaned_data["import_file"]
        try:
            import_formats.check_file_size(import_file.size)
        except import_formats.ImportFileError as error:
            raise ValidationError(str(error)) from None
        return import_file


class ProgrammeImportExportMixin(ImportMixin, ExportActionMixin):
    """ProgrammeAdmin's import and export: its import template, the uploaded file kept between
    preview and confirmation, and the messages staff read about a file."""

    # Spreadsheets (django-import-export), with the guarantees of imports.resource.ProgrammeResource.
    resource_classes = [resource.ProgrammeResource]
    formats = import_formats.FORMATS
    import_form_class = LimitedImportForm
    import_template_name = "admin/programmes/programme/import.html"
    import_export_change_list_template = "admin/programmes/programme/change_list_import_export.html"

    def get_urls(self):
        return [
            path(
                "import-template/",
                self.admin_site.admin_view(self.import_template_view),
                name="programmes_programme_import_template",
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request):
        """The XLSX template staff fill in: header, an example row, and every valid value."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            template.build_import_template((get_language() or "en").split("-")[0]),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="programmes-import-template.xlsx"'
        return response

    # --- The uploaded file between preview and confirmation (uploads.py) ----------------------

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:  # the preview (the confirmation builds the form again)
            uploads.remember(request.session, initial["import_file_name"])
        return initial

    def process_import(self, request, **kwargs):
        """The confirmation: only a file this session's preview offered, read from the private
        storage; anything else (a path, an old or foreign name, a file gone) is refused with a
        message and nothing is read or deleted."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_import_permission(request):
            raise PermissionDenied
        name = request.POST.get("import_file_name", "")
        if uploads.claim(request.session, name):
            try:
                return super().process_import(request, **kwargs)
            except uploads.UploadMissing:
                pass
        messages.error(
            request,
            _(
                "This file is no longer waiting to be imported (it was imported already, or the "
                "preview is too old). Upload it again."
            ),
        )
        return HttpResponseRedirect(reverse("admin:programmes_programme_import"))

    def add_data_read_fail_error_to_form(self, form, e):
        # The library names the exception class; staff need to know what is wrong with the file.
        if isinstance(e, import_formats.ImportFileError):
            form.add_error("import_file", str(e))
        else:
            form.add_error(
                "import_file",
                _("The file could not be read: it may be damaged, or not of the format chosen below."),
            )

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The data changed between preview and confirmation: nothing was saved.
            for message in getattr(result, "messages", []) or [e.error for e in result.base_errors]:
                messages.error(request, message)
            messages.error(request, _("Nothing was imported. Correct the file and upload it again."))
            return HttpResponseRedirect(reverse("admin:programmes_programme_import"))
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        messages.success(
            request,
            _("Import finished: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.")
            % {
                "new": result.totals[RowResult.IMPORT_TYPE_NEW],
                "updated": result.totals[RowResult.IMPORT_TYPE_UPDATE],
                "unchanged": result.totals[RowResult.IMPORT_TYPE_SKIP],
            },
        )


@admin.register(ImportRecord)
class ImportRecordAdmin(TitledAdmin):
    """A read-only log of the spreadsheet imports that were saved."""

    list_display = ("created_at", "file_name", "user", "created_count", "updated_count", "unchanged_count")
    list_filter = ("user",)
    search_fields = ("file_name",)
    list_select_related = ("user",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
