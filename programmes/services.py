"""Writes that span several rows or models: publishing, verification, derived columns, content loading."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext
from modeltranslation.utils import build_localized_fieldname

from . import facets, history, links, money
from .choices import OrganisationKind, PublicationState, ReportStatus
from .models import (
    CHECKED_LINKS,
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    Location,
    Organisation,
    ProblemReport,
    Programme,
    ProgrammeSource,
    ProgrammeType,
    Sector,
    is_broken_result,
)
from .search import documents
from .translation import ProgrammeTranslationOptions
from .transliteration import to_latin

LANGUAGE_CODES = ("kk", "ru", "en")
_BATCH = 500


def publish(programmes: QuerySet[Programme], *, user=None) -> int:
    """Make programmes public; returns how many changed state. Each leaves a line in its history,
    and alerts report them as new."""
    ids = list(programmes.exclude(state=PublicationState.PUBLISHED).values_list("pk", flat=True))
    changed = _update_with_history(
        Programme.objects.filter(pk__in=ids),
        {"state": PublicationState.PUBLISHED, "published_at": timezone.now()},
        user,
        gettext("Published from the programme list."),
    )
    # Their title words join the typo vocabulary now that they are public (search.documents._rebuild).
    documents.update_vectors(ids)
    return changed


def archive(programmes: QuerySet[Programme], *, user=None) -> int:
    """Withdraw programmes from the public site without deleting them."""
    return _update_with_history(
        programmes.exclude(state=PublicationState.ARCHIVED),
        {"state": PublicationState.ARCHIVED},
        user,
        gettext("Archived from the programme list."),
    )


def mark_verified(programmes: QuerySet[Programme], user=None, day: datetime.date | None = None) -> int:
    """Record that ``user`` checked the programmes against their sources on ``day`` (today)."""
    day = day or timezone.localdate()
    return _update_with_history(
        programmes,
        {"last_verified_on": day, "verified_by": user},
        user,
        gettext("Marked as verified on %(day)s.") % {"day": date_format(day, "SHORT_DATE_FORMAT")},
    )


def resolve_reports(reports: QuerySet[ProblemReport], user) -> int:
    """Close visitors' problem reports; returns how many were still open."""
    return reports.filter(status=ReportStatus.OPEN).update(
        status=ReportStatus.RESOLVED, resolved_at=timezone.now(), resolved_by=user
    )


def report_problem(programme: Programme, message: str, email: str = "", language: str = "") -> ProblemReport:
    """Store a visitor's report that ``programme``'s page is wrong; it joins the review queue."""
    return ProblemReport.objects.create(programme=programme, message=message, email=email, language=language)


SUGGESTIONS_ORGANISATION = "public-suggestions"


@transaction.atomic
def suggest_programme(
    *, name: str, organisation: str, website: str, offers: str, email: str, language: str
) -> Programme:
    """Store a visitor's suggestion as a draft programme for staff to complete and publish.

    The text goes into the visitor's language. The organisation is the existing one of that name
    (in any language) or, so that public input never creates public organisation pages, a
    placeholder; the typed name is kept in ``suggested_organisation`` either way.
    """
    known = Organisation.objects.filter(
        Q(name_kk__iexact=organisation) | Q(name_ru__iexact=organisation) | Q(name_en__iexact=organisation)
    ).first()
    if known is None:
        known, _ = Organisation.objects.get_or_create(
            slug=SUGGESTIONS_ORGANISATION,
            defaults={
                "kind": OrganisationKind.NGO,
                "name_en": "Organisation not yet known (public suggestions)",
                "name_ru": "Организация пока не указана (предложения посетителей)",
                "name_kk": "Ұйым әлі көрсетілмеген (келушілердің ұсыныстары)",
            },
        )
    programme = Programme(
        slug=_free_slug("suggested-" + slugify(to_latin(name))[:60].strip("-")),
        organisation=known,
        state=PublicationState.DRAFT,
        source_url=website,
        is_public_suggestion=True,
        suggested_organisation=organisation,
        suggester_email=email,
        **_translated("title", {language: name}),
        **_translated("description", {language: offers}),
    )
    programme.save()
    return programme


def _free_slug(base: str) -> str:
    base = base.rstrip("-") or "suggested"
    taken = set(Programme.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


@dataclass
class LinkCheckSummary:
    programmes: int = 0
    links: int = 0
    urls: int = 0
    broken: list[tuple[Programme, str, str]] = field(default_factory=list)  # programme, field, result


def check_links(programmes: QuerySet[Programme], checker: links.LinkChecker) -> LinkCheckSummary:
    """Check the application and source links of ``programmes`` and record each result.

    Each distinct URL is requested once (programmes sharing it share the result), in an order
    that alternates between hosts so the per-host rate limit rarely makes us wait. Re-running
    gives the same records for the same answers.
    """
    programmes = list(programmes.order_by("pk").only("pk", "slug", *CHECKED_LINKS))
    urls = {getattr(p, f) for p in programmes for f in CHECKED_LINKS if getattr(p, f)}
    results = checker.check_all(urls)
    today = timezone.localdate()
    summary = LinkCheckSummary(urls=len(urls))
    for programme in programmes:
        values = {}
        for name in CHECKED_LINKS:
            url = getattr(programme, name)
            if not url:
                continue
            result = results[url]
            values |= {
                f"{name}_result": result.result,
                f"{name}_final": result.final_url[:500],
                f"{name}_checked_on": today,
            }
            summary.links += 1
            if is_broken_result(result.result):
                summary.broken.append((programme, name, result.result))
        if values:
            # update(), not save(): a check is not an edit (updated_at and the history stay).
            Programme.objects.filter(pk=programme.pk).update(**values)
            summary.programmes += 1
    return summary


def _update_with_history(programmes: QuerySet[Programme], values: dict, user, reason: str) -> int:
    # One UPDATE for the lot (no save() per row), then one history line per programme it changed.
    with transaction.atomic():
        # order_by(): the review queue's ordering and annotations have no place in an UPDATE.
        pks = list(programmes.order_by().values_list("pk", flat=True))
        changed = Programme.objects.filter(pk__in=pks)
        count = changed.update(**values, updated_at=timezone.now())
        history.record(changed, user=user, reason=reason)
    return count


def refresh_kzt_amounts() -> int:
    """Recompute stored tenge amounts with the rates in force today; returns rows changed.

    Runs when a rate is saved or deleted, and daily (``manage.py refresh_kzt_amounts``) so that a
    rate dated in the future takes effect on its day. Tenge amounts never change, so only
    programmes in other currencies are read.
    """
    rates = ExchangeRate.objects.rates_on()
    programmes = Programme.objects.exclude(currency=money.KZT)
    changed = [p for p in programmes.iterator(chunk_size=_BATCH) if p.refresh_kzt_amounts(rates)]
    Programme.objects.bulk_update(changed, ["amount_min_kzt", "amount_max_kzt"], batch_size=_BATCH)
    return len(changed)


def refresh_search_text(programmes: QuerySet[Programme]) -> int:
    """Recompute the search columns, e.g. after an organisation was renamed; returns rows changed."""
    changed = [
        p
        for p in programmes.select_related("organisation").iterator(chunk_size=_BATCH)
        if p.refresh_search_text()
    ]
    Programme.objects.bulk_update(changed, ["search_title", "search_text", "search_latin"], batch_size=_BATCH)
    documents.update_vectors(list(programmes.values_list("pk", flat=True)))
    return len(changed)


# --- Loading content from the JSON fixtures -------------------------------------------------------

TAXONOMIES = {
    "programme_types": ProgrammeType,
    "sectors": Sector,
    "applicant_kinds": ApplicantKind,
    "business_sizes": BusinessSize,
}
# A content fixture names a programme's terms by relation: {"sectors": ["film"], …}.
PROGRAMME_LINKS = {facet.relation: facet.model for facet in facets.LINKED}
PROGRAMME_TRANSLATED = ProgrammeTranslationOptions.fields
PROGRAMME_PLAIN = (
    "is_nationwide",
    "currency",
    "total_budget_currency",
    "expected_awards",
    "deadline_type",
    "apply_url",
    "source_url",
    "contact",
    "state",
)
PROGRAMME_DECIMALS = ("amount_min", "amount_max", "total_budget")
PROGRAMME_DATES = ("opens_on", "closes_on", "last_verified_on")


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, label: str, created: bool) -> None:
        self.created[label] = self.created.get(label, 0) + int(created)


def _translated(prefix: str, values: dict[str, str] | None) -> dict[str, str]:
    values = values or {}
    return {build_localized_fieldname(prefix, lang): values.get(lang, "") for lang in LANGUAGE_CODES}


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


@transaction.atomic
def load_taxonomy(data: dict, report: LoadReport | None = None) -> LoadReport:
    """Create the taxonomy terms that do not exist yet; existing terms (maybe edited by staff) stay."""
    report = report or LoadReport()
    for key, model in TAXONOMIES.items():
        for position, item in enumerate(data.get(key, [])):
            _, created = model.objects.get_or_create(
                slug=item["slug"], defaults={"position": position, **_translated("name", item["name"])}
            )
            report.add(key, created)
    for position, item in enumerate(data.get("locations", [])):
        parent = Location.objects.get(slug=item["parent"]) if item.get("parent") else None
        _, created = Location.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "position": position,
                "kind": item["kind"],
                "parent": parent,
                **_translated("name", item["name"]),
            },
        )
        report.add("locations", created)
    return report


@transaction.atomic
def load_content(data: dict, report: LoadReport | None = None) -> LoadReport:
    """Create the exchange rates, organisations and programmes that do not exist yet.

    Idempotent: rows are matched by their natural key (slug, currency + day) and never
    overwritten, so running it again changes nothing, and staff edits survive.
    """
    report = report or LoadReport()
    for item in data.get("exchange_rates", []):
        _, created = ExchangeRate.objects.get_or_create(
            currency=item["currency"],
            valid_from=_date(item["valid_from"]),
            defaults={"kzt_per_unit": Decimal(item["kzt_per_unit"])},
        )
        report.add("exchange_rates", created)

    for item in data.get("organisations", []):
        if Organisation.objects.filter(slug=item["slug"]).exists():
            report.add("organisations", False)
            continue
        home_city = Location.objects.get(slug=item["home_city"]) if item.get("home_city") else None
        Organisation.objects.create(
            slug=item["slug"],
            kind=item["kind"],
            website=item.get("website", ""),
            home_city=home_city,
            **_translated("name", item["name"]),
            **_translated("description", item.get("description")),
        )
        report.add("organisations", True)

    for item in data.get("programmes", []):
        if Programme.objects.filter(slug=item["slug"]).exists():
            report.add("programmes", False)
            continue
        values = {name: item[name] for name in PROGRAMME_PLAIN if name in item}
        values |= {name: _decimal(item.get(name)) for name in PROGRAMME_DECIMALS}
        values |= {name: _date(item.get(name)) for name in PROGRAMME_DATES}
        for name in PROGRAMME_TRANSLATED:
            values |= _translated(name, item.get(name))
        programme = Programme(
            slug=item["slug"], organisation=Organisation.objects.get(slug=item["organisation"]), **values
        )
        programme.full_clean()
        programme.save()
        for relation, model in PROGRAMME_LINKS.items():
            slugs = item.get(relation, [])
            terms = list(model.objects.filter(slug__in=slugs))
            if len(terms) != len(set(slugs)):
                unknown = set(slugs) - {t.slug for t in terms}
                raise ValueError(f"{item['slug']}: unknown {relation} {sorted(unknown)}")
            getattr(programme, relation).set(terms)
        for order, source in enumerate(item.get("sources", [])):
            cited = ProgrammeSource(
                programme=programme,
                order=order,
                url=source.get("url") or "",
                publisher=source["publisher"],
                title=source.get("title") or "",
                published_on=_date(source.get("published_on")),
                accessed_on=_date(source["accessed_on"]),
            )
            cited.full_clean()
            cited.save()
        report.add("programmes", True)
    return report


def load_fixture_file(path: Path, report: LoadReport | None = None) -> LoadReport:
    """Load a taxonomy or content fixture (see fixtures/) idempotently."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    report = load_taxonomy(data, report)
    return load_content(data, report)
