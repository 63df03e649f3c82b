"""The programme: its form (amounts as staff type them, sources, notes), its list, its history
(one line per save, links included) and the publish, archive and verify actions."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from simple_history.utils import get_m2m_reverse_field_name

from .. import facets, history, services
from ..imports import parsing
from ..models import CHECKED_LINKS, Programme, ProgrammeSource
from .base import HistoryAdmin, TranslatedAdmin
from .spreadsheets import ProgrammeImportExportMixin


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
class ProgrammeAdmin(ProgrammeImportExportMixin, HistoryAdmin, TranslatedAdmin):
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
    filter_horizontal = facets.RELATIONS
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

    fieldsets = (
        (None, {"fields": ("title", "slug", "organisation", "state", "summary")}),
        (_("Details"), {"fields": ("description", "eligibility", "how_to_apply")}),
        (
            _("Classification"),
            {
                # Every many-to-many facet, "anywhere in Kazakhstan" beside the places.
                "fields": tuple(
                    field
                    for facet in facets.LINKED
                    for field in (("is_nationwide", facet.relation) if facet.by_reach else (facet.relation,))
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
