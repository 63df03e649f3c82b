"""The review queue (published programmes that staff should check, and why) and the problem
reports visitors send, which put a programme in that queue."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from .. import services
from ..choices import ReportStatus, ReviewReason
from ..models import CHECKED_LINKS, ProblemReport, Programme, ProgrammeToReview
from .base import TitledAdmin
from .programmes import ProgrammeAdmin


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
