"""The programmes' domain reads ("published", "open", "available in Almaty", the review queue),
defined once and reused by views, filters, the admin and exports, and the link-check rules they
share with Programme.

Below models/programmes.py, which attaches ProgrammeQuerySet as Programme's manager: the
QuerySet reaches Programme as ``self.model``.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, ExpressionWrapper, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from modeltranslation.utils import get_translation_fields

from ..choices import (
    DeadlineType,
    LinkError,
    LocationKind,
    PublicationState,
    ReportStatus,
    ReviewReason,
    Status,
)
from .base import localized_sort_key
from .editorial import ProblemReport, newest_source_date
from .taxonomy import Location

OPEN_ENDED_DEADLINES = [DeadlineType.ROLLING, DeadlineType.UNTIL_FUNDS_EXHAUSTED]

# The links check_links checks; each has <field>_result, _final and _checked_on columns.
CHECKED_LINKS = ("apply_url", "source_url")
# HTTP answers that mean the page is gone or the site is failing. Other answers (401, 403, 429 …)
# often come from sites that refuse robots while people see the page, so they do not count.
BROKEN_STATUSES = ("404", "410")


def broken_link(field: str) -> Q:
    """The last check of ``field`` (a URL field) found it gone, failing or unreachable."""
    result = f"{field}_result"
    return Q(**{f"{result}__in": [*BROKEN_STATUSES, *LinkError.values]}) | Q(**{f"{result}__startswith": "5"})


def is_broken_result(result: str) -> bool:
    """The same rule as broken_link(), for one stored result."""
    return result in BROKEN_STATUSES or result in LinkError.values or result.startswith("5")


class ProgrammeQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def published(self):
        return self.filter(state=PublicationState.PUBLISHED)

    def with_status(self, today: datetime.date | None = None):
        """Annotate ``status``: open, upcoming or closed on ``today`` (Almaty's today by default).

        Closed once the closing date has passed; upcoming before the opening date; unknown
        ("dates not published") when no source states the dates; upcoming for fixed or
        recurring rounds whose dates are not announced yet; otherwise open. (index.py reads
        these statuses from here.) Annotating twice keeps the first annotation, so callers can
        combine status reads.
        """
        if "status" in self.query.annotations:
            return self
        today = today or timezone.localdate()
        return self.annotate(
            status=Case(
                When(closes_on__lt=today, then=Value(Status.CLOSED)),
                When(opens_on__gt=today, then=Value(Status.UPCOMING)),
                When(deadline_type=DeadlineType.NOT_PUBLISHED, then=Value(Status.UNKNOWN)),
                When(
                    Q(deadline_type__in=OPEN_ENDED_DEADLINES)
                    | Q(opens_on__isnull=False)
                    | Q(closes_on__isnull=False),
                    then=Value(Status.OPEN),
                ),
                default=Value(Status.UPCOMING),
                output_field=models.CharField(),
            )
        )

    def review_rules(self, today: datetime.date | None = None) -> dict[str, Q]:
        """Each reason for review as a condition on a programme (see ``needing_review``)."""
        today = today or timezone.localdate()
        cutoff = today - datetime.timedelta(days=settings.REVIEW_AFTER_DAYS)
        return {
            # Never checked, or last checked more than REVIEW_AFTER_DAYS ago.
            ReviewReason.NOT_VERIFIED: Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=cutoff),
            # with_status shows these as closed, but they are still published: either the
            # programme is over (archive it) or it has a new round (enter its dates).
            ReviewReason.DEADLINE_PASSED: Q(closes_on__lt=today) & ~Q(deadline_type=DeadlineType.RECURRING),
            # A recurring programme whose last known round has closed: the next round's dates
            # are missing. (One with no dates at all honestly says "dates not announced".)
            ReviewReason.NO_NEXT_ROUND: Q(closes_on__lt=today, deadline_type=DeadlineType.RECURRING),
            ReviewReason.BROKEN_LINK: broken_link("apply_url") | broken_link("source_url"),
            ReviewReason.PROBLEM_REPORTED: Q(
                Exists(ProblemReport.objects.filter(programme=OuterRef("pk"), status=ReportStatus.OPEN))
            ),
        }

    def needing_review(self, today: datetime.date | None = None):
        """Published programmes that staff should check, with a boolean annotation per reason
        (``review_<reason>``, read by ``Programme.review_reasons``), least recently verified first
        (never verified first). Drafts and archived programmes are not public, so they are left out."""
        rules = self.review_rules(today)
        flags = {
            self.model.review_flag(reason): ExpressionWrapper(rule, output_field=models.BooleanField())
            for reason, rule in rules.items()
        }
        any_rule = Q()
        for rule in rules.values():
            any_rule |= rule
        return (
            self.published()
            .filter(any_rule)
            .annotate(**flags)
            .order_by(F("last_verified_on").asc(nulls_first=True), "created_at", "pk")
        )

    def with_status_in(self, statuses, today: datetime.date | None = None):
        return self.with_status(today).filter(status__in=list(statuses))

    def closing_within(self, days: int, today: datetime.date | None = None):
        """Open now and closing within ``days`` days (today included)."""
        today = today or timezone.localdate()
        return self.with_status(today).filter(
            status=Status.OPEN, closes_on__lte=today + datetime.timedelta(days=days)
        )

    def linked_to(self, relation: str, values):
        """Programmes linked through many-to-many ``relation`` to any of ``values`` (terms)."""
        # A subquery on the link table instead of a join: no duplicate rows, so no DISTINCT,
        # which keeps ordering and counting cheap.
        through = self.model._meta.get_field(relation).remote_field.through
        target = self.model._meta.get_field(relation).m2m_reverse_field_name()
        return self.filter(pk__in=through.objects.filter(**{f"{target}__in": values}).values("programme_id"))

    def of_types(self, types):
        return self.linked_to("types", types)

    def in_sectors(self, sectors):
        return self.linked_to("sectors", sectors)

    def for_applicants(self, applicant_kinds):
        return self.linked_to("applicant_kinds", applicant_kinds)

    def for_business_sizes(self, sizes):
        return self.linked_to("business_sizes", sizes)

    def available_in(self, locations):
        """Programmes someone in any of ``locations`` can apply to.

        A city: programmes listing the city, listing its region, or nationwide. A region:
        programmes listing the region or any city in it, or nationwide.
        """
        locations = list(locations)
        if not locations:
            return self
        ids = {loc.pk for loc in locations}
        ids |= {loc.parent_id for loc in locations if loc.parent_id}
        region_ids = [loc.pk for loc in locations if loc.kind == LocationKind.REGION]
        ids |= set(Location.objects.filter(parent__in=region_ids).values_list("pk", flat=True))
        through = self.model.locations.through
        return self.filter(
            Q(is_nationwide=True) | Q(pk__in=through.objects.filter(location__in=ids).values("programme_id"))
        )

    def award_overlaps(
        self, low_kzt: Decimal | None, high_kzt: Decimal | None, *, with_unstated: bool = False
    ):
        """Programmes whose award range in tenge overlaps [low, high] (either end may be open).

        Programmes without a stated amount are left out, since the question was about amounts,
        unless ``with_unstated``: the visitor asked to see them as well (the search page offers
        it when the amount hides some).
        """
        overlapping = Q(amount_min_kzt__isnull=False)
        if high_kzt is not None:
            overlapping &= Q(amount_min_kzt__lte=high_kzt)
        if low_kzt is not None:
            overlapping &= Q(amount_max_kzt__gte=low_kzt) | Q(amount_max_kzt__isnull=True)
        if with_unstated:
            overlapping |= Q(amount_min_kzt__isnull=True)
        return self.filter(overlapping)

    # "Programme" is models/programmes.py, above this module: named, not imported.
    def related_to(self, programme: "Programme"):  # noqa: F821
        """Other programmes sharing a sector with ``programme`` (or a type, when it has no sector)."""
        sectors = list(programme.sectors.all())
        related = self.in_sectors(sectors) if sectors else self.of_types(programme.types.all())
        return related.exclude(pk=programme.pk)

    def for_result_cards(self):
        """``with_card_data`` without the long texts and search columns, which a result card
        or a results export never shows (a third of the time of a page of 20 at 100,000), and
        without the prefetches: ``cards.Results`` attaches the types, sectors and places from
        one query and the cached term lists (``cards.attach_card_terms``)."""
        long_texts = [
            column
            for name in ("description", "eligibility", "how_to_apply")
            for column in (name, *get_translation_fields(name))
        ]
        return (
            self.with_card_data()
            .prefetch_related(None)
            .defer(*long_texts, "search_title", "search_text", "search_latin")
        )

    def with_card_data(self):
        """Everything a result card shows, in a fixed number of queries (the newest source's
        date, ``newest_source_on``, is a subquery of the same statement)."""
        return (
            self.select_related("organisation")
            .prefetch_related("types", "sectors", "locations")
            .annotate(newest_source_on=newest_source_date())
        )

    def ordered_by(self, sort: str):
        """In the order ``sort`` names (an unknown one, like "relevance" without words, is by
        deadline); by relevance: search.matching.order_by_relevance."""
        title = localized_sort_key("title")
        closed = Q(status=Status.CLOSED)
        orderings = {
            # Soonest deadline first and programmes without a closing date last, open before
            # upcoming; closed ones (when asked for) after all of them, most recently closed first.
            "deadline": [
                Case(When(closed, then=Value(1)), default=Value(0)),
                Case(When(~closed, then=F("closes_on"))).asc(nulls_last=True),
                F("closes_on").desc(nulls_last=True),
                "status",
                title,
                "slug",
            ],
            # "From N" programmes (no maximum) rank by their minimum.
            "amount_desc": [
                Coalesce("amount_max_kzt", "amount_min_kzt").desc(nulls_last=True),
                title,
                "slug",
            ],
            "amount_asc": [F("amount_min_kzt").asc(nulls_last=True), title, "slug"],
            "newest": ["-created_at", "slug"],
            "title": [title, "slug"],
        }
        return self.with_status().order_by(*orderings.get(sort, orderings["deadline"]))
