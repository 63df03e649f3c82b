"""The staff side: editing, publishing and verifying the directory."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.db.models import Count, F
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, capfirst, format_lazy
from django.utils.translation import get_language, gettext, ngettext_lazy, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportActionMixin, ImportMixin
from import_export.forms import ImportForm
from import_export.results import RowResult
from modeltranslation.admin import TabbedTranslationAdmin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_m2m_reverse_field_name

from . import history, services, uploads
from .choices import ReportStatus, ReviewReason
from .imports import formats as import_formats
from .imports import parsing, resource, template
from .models import (
    CHECKED_LINKS,
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    ImportRecord,
    Location,
    Organisation,
    ProblemReport,
    Programme,
    ProgrammeSource,
    ProgrammeToReview,
    ProgrammeType,
    Sector,
)

# The header of every admin page, in the staff member's language.
admin.site.site_header = _("Creative Funding KZ: staff")
admin.site.site_title = _("Creative Funding KZ: staff")
admin.site.index_title = _("Directory administration")


# Each model's name as the object of a verb ("Добавить программу", "Бағдарламаны өзгерту").
ACCUSATIVE_NAMES = {
    Programme: pgettext_lazy("accusative", "programme"),
    Organisation: pgettext_lazy("accusative", "organisation"),
    ProgrammeType: pgettext_lazy("accusative", "programme type"),
    Sector: pgettext_lazy("accusative", "sector"),
    ApplicantKind: pgettext_lazy("accusative", "applicant kind"),
    BusinessSize: pgettext_lazy("accusative", "business size"),
    Location: pgettext_lazy("accusative", "location"),
    ExchangeRate: pgettext_lazy("accusative", "exchange rate"),
    ImportRecord: pgettext_lazy("accusative", "import"),
    ProblemReport: pgettext_lazy("accusative", "problem report"),
}


class TitledAdmin(admin.ModelAdmin):
    """Page titles that Russian and Kazakh can say.

    Django builds "Select %s to change", "Add %s" and "Change %s" from the model's name in the
    nominative ("Выберите программа для изменения", "Добавить организация"); these verbs take the
    accusative. Each model's name in the accusative is in ACCUSATIVE_NAMES (pgettext_lazy with
    the context "accusative"), and the titles are sentences of their own.
    The add button on the list says the same as the add page's title.
    """

    # The list's title, where "Select … to change" does not fit (the review queue).
    changelist_title = None

    def _titles(self) -> dict[str, str]:
        name = ACCUSATIVE_NAMES.get(self.model, self.model._meta.verbose_name)
        return {
            "changelist": capfirst(pgettext("admin title", "Select %(name)s to change") % {"name": name}),
            "viewlist": capfirst(pgettext("admin title", "Select %(name)s to view") % {"name": name}),
            "add": capfirst(pgettext("admin title", "Add %(name)s") % {"name": name}),
            "change": capfirst(pgettext("admin title", "Change %(name)s") % {"name": name}),
            "view": capfirst(pgettext("admin title", "View %(name)s") % {"name": name}),
        }

    def changelist_view(self, request, extra_context=None):
        titles = self._titles()
        title = titles["changelist"] if self.has_change_permission(request) else titles["viewlist"]
        title = self.changelist_title or title
        context = {"title": title, "add_title": titles["add"], **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        titles = self._titles()
        if object_id is None:
            title = titles["add"]
        else:
            # As Django decides between "Change" and "View" (the change permission on this object).
            obj = self.get_object(request, unquote(object_id))
            title = titles["change"] if self.has_change_permission(request, obj) else titles["view"]
        context = {"title": title, **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, context)


# What a translated field's label adds to its name, in the staff member's language: three
# fields called "Title" let staff overwrite the Kazakh title with Russian when the tabs are not
# there (no JavaScript, or before they load), and the label stays beside the tab when they are.
FIELD_LANGUAGES = {
    "kk": pgettext_lazy("a translated field's language", "in Kazakh"),
    "ru": pgettext_lazy("a translated field's language", "in Russian"),
    "en": pgettext_lazy("a translated field's language", "in English"),
}


class TranslatedAdmin(TitledAdmin, TabbedTranslationAdmin):
    """Language tabs (modeltranslation, with our own jQuery UI: settings.JQUERY_UI_URL), a label
    naming each field's language, and the filter widgets named in the plural nominative.
    """

    class Media:
        # Named with what it runs after, so that Django's merge of the admin's media keeps it there.
        js = (
            "admin/js/jquery.init.js",
            "modeltranslation/js/tabbed_translation_fields.js",
            "programmes/admin/translation-tabs.js",
        )

    def patch_translation_field(self, db_field, field, request, **kwargs):
        super().patch_translation_field(db_field, field, request, **kwargs)
        language = getattr(db_field, "language", None)
        if language in FIELD_LANGUAGES and hasattr(db_field, "translated_field"):
            name = capfirst(db_field.translated_field.verbose_name)
            field.label = format_lazy("{} ({})", name, FIELD_LANGUAGES[language])

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # The two-box widget says "Available %s" / "Chosen %s": the related model's plural name
        # fits there ("Доступные категории заявителей"), a field's name may not ("кто может
        # подать заявку").
        if db_field.name in self.filter_horizontal and "widget" not in kwargs:
            kwargs["widget"] = FilteredSelectMultiple(
                db_field.related_model._meta.verbose_name_plural, is_stacked=False
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class HistoryAdmin(SimpleHistoryAdmin):
    """The audit history page per object (who, when, why, what changed) and revert to a version.

    Each save through the admin says why in words: created, which fields changed (with their
    language), or which version it reverts to.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """A past version's page, whose form reverts to it when posted.

        simple-history lets anyone who may *view* the object open this page and saves on POST, and
        it builds an editable form even for view-only staff. So the page needs the change
        permission, for GET as well: a read-only version page would need the admin's read-only
        machinery rebuilt (simple-history passes prepopulated fields that a field-less form does
        not have, and a programme's links would show today's values, not the version's). View-only
        staff still see every version and what changed in it on the history list.
        SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS would not help (it swaps in the history
        model's own permissions, and a "change history" right would then revert the object), nor
        would revert_disabled (it only hides the button).
        """
        if not self.has_change_permission(request, self.get_object(request, unquote(object_id))):
            raise PermissionDenied
        # The save, the links and the history line land together or not at all.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        obj._change_reason = self.change_reason(obj, form, change)
        super().save_model(request, obj, form, change)

    @staticmethod
    def change_reason(obj, form, change: bool) -> str:
        version = getattr(obj, "_history", None)  # set on the instance a revert starts from
        if version is not None:
            return gettext("Reverted to the version of %(date)s") % {
                "date": date_format(timezone.localtime(version.history_date), "SHORT_DATETIME_FORMAT")
            }
        if not change:
            return gettext("Created in the admin.")
        labels = [str(form.fields[name].label or name) for name in form.changed_data if name in form.fields]
        return gettext("Changed in the admin: %(fields)s.") % {"fields": ", ".join(labels) or "—"}


class TaxonomyAdmin(TranslatedAdmin):
    list_display = ("name", "slug", "position", "programme_count")
    list_editable = ("position",)
    list_filter = ()
    search_fields = ("slug", "name_kk", "name_ru", "name_en")
    list_select_related = ()
    prepopulated_fields = {"slug": ("name_en",)}
    ordering = ("position", "slug")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(programme_total=Count("programmes"))

    @admin.display(description=_("programmes"), ordering="programme_total")
    def programme_count(self, obj):
        return obj.programme_total


admin.site.register([ProgrammeType, Sector, ApplicantKind, BusinessSize], TaxonomyAdmin)


@admin.register(Location)
class LocationAdmin(TaxonomyAdmin):
    list_display = ("name", "slug", "kind", "parent", "position", "programme_count")
    list_filter = ("kind", "parent")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(TitledAdmin):
    list_display = ("currency", "kzt_per_unit", "valid_from")
    list_filter = ("currency",)
    search_fields = ("currency",)
    list_select_related = ()
    date_hierarchy = "valid_from"


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin, TranslatedAdmin):
    list_display = ("name", "kind", "home_city", "programme_count", "updated_at")
    list_filter = ("kind", "home_city")
    search_fields = ("slug", "name_kk", "name_ru", "name_en")
    list_select_related = ("home_city",)
    autocomplete_fields = ("home_city",)
    prepopulated_fields = {"slug": ("name_en",)}
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(programme_total=Count("programmes"))

    @admin.display(description=_("programmes"), ordering="programme_total")
    def programme_count(self, obj):
        return obj.programme_total


class VerifiedBeforeFilter(admin.SimpleListFilter):
    """Which programmes have gone longest without a check against their source."""

    title = _("last verified")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [
            ("never", _("Never")),
            ("90", _("More than 90 days ago")),
            ("180", _("More than 180 days ago")),
            ("365", _("More than a year ago")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "never":
            return queryset.filter(last_verified_on__isnull=True)
        if value in {"90", "180", "365"}:
            cutoff = timezone.localdate() - datetime.timedelta(days=int(value))
            return queryset.filter(last_verified_on__lt=cutoff)
        return queryset


class LimitedImportForm(ImportForm):
    """The upload form, refusing a file past IMPORT_MAX_FILE_SIZE before it is stored or read."""

    def clean_import_file(self):
        import_file = self.cleaned_data["import_file"]
        try:
            import_formats.check_file_size(import_file.size)
        except import_formats.ImportFileError as error:
            raise ValidationError(str(error)) from None
        return import_file


class AmountFormField(forms.DecimalField):
    """An amount as staff type it, read by the import's own parser: "5 000 000", "5 млн",
    "1,5 млрд", "5 мың", "5k". A text input, since a number input refuses "5 млн" in the browser.
    A negative amount is left to the model's constraint, which says so in its own words."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parsing.parse_amount(value, allow_negative=True)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None

    def prepare_value(self, value):
        # Whole amounts without ".00", grouped as staff read them.
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return f"{int(value):,}".replace(",", " ")
        return value


class ProgrammeSourceInline(admin.TabularInline):
    """A programme's sources, under its form: what the page's "Sources" lists."""

    model = ProgrammeSource
    fields = ("order", "url", "publisher", "title", "published_on", "accessed_on")
    extra = 0
    min_num = 0


NOTE_FIELDS = ("amount_note", "deadline_note")


@admin.register(Programme)
class ProgrammeAdmin(ImportMixin, ExportActionMixin, HistoryAdmin, TranslatedAdmin):
    # Five columns fit 1280 px without scrolling sideways; types and the deadline's kind are
    # filters on the right, the last change is the date drill-down above the list.
    list_display = ("title", "organisation", "state", "closes_on", "last_verified_on")
    list_filter = (
        "state",
        "types",
        "sectors",
        "locations",
        "deadline_type",
        "is_nationwide",
        VerifiedBeforeFilter,
        "is_public_suggestion",
        "organisation__kind",
    )
    search_fields = (
        "slug",
        "title_kk",
        "title_ru",
        "title_en",
        "organisation__name_ru",
        "organisation__name_en",
    )
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
    filter_horizontal = ("types", "sectors", "locations", "applicant_kinds", "business_sizes")
    prepopulated_fields = {"slug": ("title_en",)}
    readonly_fields = (
        "amount_min_kzt",
        "amount_max_kzt",
        "verified_by",
        *(f"{link}_{part}" for link in CHECKED_LINKS for part in ("result", "final", "checked_on")),
        "created_at",
        "updated_at",
    )
    date_hierarchy = "updated_at"
    actions = ("publish", "archive", "mark_verified_today")
    save_on_top = True
    inlines = (ProgrammeSourceInline,)
    # amount_min, amount_max and total_budget (the other decimals are read-only).
    formfield_overrides = {models.DecimalField: {"form_class": AmountFormField}}

    # Spreadsheets (django-import-export), with the guarantees of imports.resource.ProgrammeResource.
    resource_classes = [resource.ProgrammeResource]
    formats = import_formats.FORMATS
    import_form_class = LimitedImportForm
    import_template_name = "admin/programmes/programme/import.html"
    import_export_change_list_template = "admin/programmes/programme/change_list_import_export.html"
    fieldsets = (
        (None, {"fields": ("title", "slug", "organisation", "state", "summary")}),
        (_("Details"), {"fields": ("description", "eligibility", "how_to_apply")}),
        (
            _("Classification"),
            {
                "fields": (
                    "types",
                    "sectors",
                    "is_nationwide",
                    "locations",
                    "applicant_kinds",
                    "business_sizes",
                )
            },
        ),
        (
            _("Money"),
            {
                "fields": (
                    ("amount_min", "amount_max", "currency"),
                    "amount_note",
                    ("amount_min_kzt", "amount_max_kzt"),
                    ("total_budget", "total_budget_currency"),
                    "expected_awards",
                )
            },
        ),
        (_("Dates"), {"fields": ("deadline_type", ("opens_on", "closes_on"), "deadline_note")}),
        (
            _("Applying and sources"),
            {"fields": ("apply_url", "source_url", "contact", ("last_verified_on", "verified_by"))},
        ),
        (
            _("Link checks"),
            {
                "fields": (
                    ("apply_url_result", "apply_url_checked_on", "apply_url_final"),
                    ("source_url_result", "source_url_checked_on", "source_url_final"),
                ),
                "description": _("Recorded by manage.py check_links; cleared when a link is edited."),
                "classes": ("collapse",),
            },
        ),
        (
            _("Public suggestion"),
            {
                "fields": ("is_public_suggestion", "suggested_organisation", "suggester_email"),
                "classes": ("collapse",),
            },
        ),
        (_("Record"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The notes are sentences, often a paragraph: a few rows, in every language (modeltranslation
        # copies the widget of "amount_note" to amount_note_kk, _ru and _en).
        if db_field.name.startswith(NOTE_FIELDS):
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # --- History -------------------------------------------------------------------------------
    # A programme's links are saved after the programme itself, one kind at a time, and each
    # change of links would add a history line of its own. Instead the save writes no history,
    # and one line with the programme and all its links is written once everything is saved:
    # log_addition/log_change run last, after the change form and after a revert alike.

    def save_model(self, request, obj, form, change):
        # A date typed into "last verified on" is a verification by the person saving.
        if "last_verified_on" in form.changed_data:
            obj.verified_by = request.user if obj.last_verified_on else None
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        self._record(request, obj, created=True)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._record(request, obj, created=False)
        return super().log_change(request, obj, message)

    def _record(self, request, obj, created: bool) -> None:
        if not hasattr(obj, "skip_history_when_saving"):
            return
        del obj.skip_history_when_saving
        history.record([obj], user=request.user, reason=obj._change_reason, created=created)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        version = getattr(obj, "_history", None)
        if version is None:
            return form
        # Reverting: the form shows the version's links, not today's (simple-history's revert
        # form restores the programme's own columns only).
        links = {
            name: list(
                getattr(version, name).values_list(
                    f"{get_m2m_reverse_field_name(Programme._meta.get_field(name))}_id", flat=True
                )
            )
            for name in history.PROGRAMME_LINKS
        }

        class RevertForm(form):
            def __init__(self, *args, **kwargs):
                kwargs["initial"] = {**links, **(kwargs.get("initial") or {})}
                super().__init__(*args, **kwargs)

        return RevertForm

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

    def _report(self, request, message, count: int) -> None:
        # ``message`` is an ngettext_lazy keyed on "count", so that makemessages still finds it.
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Publish selected programmes"), permissions=["change"])
    def publish(self, request, queryset):
        count = services.publish(queryset, user=request.user)
        self._report(
            request,
            ngettext_lazy("%(count)d programme published.", "%(count)d programmes published.", "count"),
            count,
        )

    @admin.action(description=_("Archive selected programmes"), permissions=["change"])
    def archive(self, request, queryset):
        count = services.archive(queryset, user=request.user)
        self._report(
            request,
            ngettext_lazy("%(count)d programme archived.", "%(count)d programmes archived.", "count"),
            count,
        )

    @admin.action(description=_("Mark selected programmes as verified today"), permissions=["change"])
    def mark_verified_today(self, request, queryset):
        count = services.mark_verified(queryset, user=request.user)
        self._report(
            request,
            ngettext_lazy(
                "%(count)d programme marked as verified today.",
                "%(count)d programmes marked as verified today.",
                "count",
            ),
            count,
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


class ReviewReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return ReviewReason.choices

    def queryset(self, request, queryset):
        if self.value() in ReviewReason.values:
            return queryset.filter(**{Programme.review_flag(self.value()): True})
        return queryset


@admin.register(ProgrammeToReview)
class ProgrammeToReviewAdmin(TitledAdmin):
    """The review queue: published programmes that staff should check, and why.

    Rows open the programme's own admin page; "Verified today" (per row, or as an action on the
    selected rows) records who checked it and when. Permissions are the programme's own.
    """

    # Five columns beside the action box, the reason filter above them (the queue's own
    # stylesheet): at 1280 px, with the admin's menu open, the list is about 900 px wide and
    # shows every reason without scrolling sideways. The organisation sits under the title, who
    # verified under the date.
    list_display = ("programme_link", "reasons", "verified", "closes_on", "verify_button")
    list_display_links = None
    change_list_template = "admin/programmes/programmetoreview/change_list.html"
    changelist_title = _("Programmes to review")
    list_filter = (ReviewReasonFilter,)
    search_fields = ProgrammeAdmin.search_fields
    list_select_related = ("organisation", "verified_by")
    # Least recently verified first, never verified before all (see needing_review()).
    ordering = (F("last_verified_on").asc(nulls_first=True), "created_at", "pk")
    actions = ("mark_verified_today",)

    def get_queryset(self, request):
        return ProgrammeToReview.objects.needing_review()

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("programmes.view_programme") or self.has_change_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("programmes.change_programme")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_list_display(self, request):
        if self.has_change_permission(request):
            return self.list_display
        return [name for name in self.list_display if name != "verify_button"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:programmes_programme_change", args=[object_id]))

    def get_urls(self):
        return [
            path(
                "<int:object_id>/verify/",
                self.admin_site.admin_view(self.verify_view),
                name="programmes_programmetoreview_verify",
            ),
            *super().get_urls(),
        ]

    def verify_view(self, request, object_id):
        """The per-row "Verified today" button (a POST with the changelist form's CSRF token)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        programme = get_object_or_404(Programme, pk=object_id)
        services.mark_verified(Programme.objects.filter(pk=programme.pk), request.user)
        self.message_user(
            request,
            gettext("“%(title)s” marked as verified today.") % {"title": programme},
            messages.SUCCESS,
        )
        # Back to the queue as it was filtered (the query string is re-encoded, never echoed).
        query = request.GET.urlencode()
        return HttpResponseRedirect(
            reverse("admin:programmes_programmetoreview_changelist") + (f"?{query}" if query else "")
        )

    @admin.display(description=_("programme"), ordering="title")
    def programme_link(self, obj):
        return format_html(
            '<a href="{}">{}</a><br><span class="review-detail">{}</span>',
            reverse("admin:programmes_programme_change", args=[obj.pk]),
            obj,
            obj.organisation,
        )

    @admin.display(description=_("last verified"), ordering=F("last_verified_on").asc(nulls_first=True))
    def verified(self, obj):
        if obj.last_verified_on is None:
            return gettext("Never")
        if obj.verified_by is None:
            return date_format(obj.last_verified_on, "SHORT_DATE_FORMAT")
        return format_html(
            '{}<br><span class="review-detail">{}</span>',
            date_format(obj.last_verified_on, "SHORT_DATE_FORMAT"),
            obj.verified_by,
        )

    @admin.display(description=_("reasons"))
    def reasons(self, obj):
        items = []
        for reason in obj.review_reasons():
            detail = ""
            if reason == ReviewReason.BROKEN_LINK:
                detail = ", ".join(
                    f"{Programme._meta.get_field(link).verbose_name}: {getattr(obj, f'{link}_result')}"
                    for link in CHECKED_LINKS
                    if obj.link_is_broken(link)
                )
            elif reason == ReviewReason.PROBLEM_REPORTED:
                detail = format_html(
                    '<a href="{}?programme__id__exact={}&amp;status__exact={}">{}</a>',
                    reverse("admin:programmes_problemreport_changelist"),
                    obj.pk,
                    ReportStatus.OPEN,
                    gettext("read the reports"),
                )
            items.append(
                format_html("<li>{} ({})</li>", reason.label, detail)
                if detail
                else format_html("<li>{}</li>", reason.label)
            )
        return format_html(
            '<ul class="review-reasons">{}</ul>', format_html_join("", "{}", ((i,) for i in items))
        )

    @admin.display(description=_("check"))
    def verify_button(self, obj):
        url = reverse("admin:programmes_programmetoreview_verify", args=[obj.pk])
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>',
            url,
            gettext("Verified today"),
        )

    @admin.action(description=_("Mark selected programmes as verified today"), permissions=["change"])
    def mark_verified_today(self, request, queryset):
        count = services.mark_verified(queryset, request.user)
        message = ngettext_lazy(
            "%(count)d programme marked as verified today.",
            "%(count)d programmes marked as verified today.",
            "count",
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


@admin.register(ProblemReport)
class ProblemReportAdmin(TitledAdmin):
    """Visitors' reports that a programme page is wrong. Open ones put the programme in the review queue."""

    list_display = ("created_at", "programme", "short_message", "email", "language", "status", "resolved_by")
    list_filter = ("status", "language")
    search_fields = ("message", "email", "programme__slug", "programme__title_ru", "programme__title_en")
    list_select_related = ("programme", "resolved_by")
    autocomplete_fields = ("programme",)
    readonly_fields = (
        "programme",
        "message",
        "email",
        "language",
        "status",
        "created_at",
        "resolved_at",
        "resolved_by",
    )
    date_hierarchy = "created_at"
    actions = ("mark_resolved",)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("what is wrong"))
    def short_message(self, obj):
        return Truncator(obj.message).chars(120)

    @admin.action(description=_("Mark selected reports as resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        count = services.resolve_reports(queryset, request.user)
        message = ngettext_lazy(
            "%(count)d report marked as resolved.", "%(count)d reports marked as resolved.", "count"
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)
