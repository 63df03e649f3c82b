"""The admin site's titles and what every admin here builds on: page titles in the accusative,
language tabs for translated fields, and the audit history with revert."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    ImportRecord,
    Location,
    Organisation,
    ProblemReport,
    Programme,
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
