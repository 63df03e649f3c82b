"""Fill the database with realistic synthetic programmes for benchmarks.

    python manage.py generate_programmes 100000      # add them
    python manage.py generate_programmes --remove    # take them out again

They are published, in three languages, over the real taxonomy, and marked by the slug prefix
``synthetic-`` (organisations ``synthetic-org-``), so that they can be removed.
"""

import time
from datetime import date
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils.text import slugify

from programmes import facets
from programmes.models import (
    ExchangeRate,
    Organisation,
    Programme,
)
from programmes.search import documents
from programmes.synthetic import SYNTHETIC_PREFIX, SyntheticProgrammes
from programmes.transliteration import to_latin

BATCH = 2000
# The many-to-many facets, by their spreadsheet column (what SyntheticProgrammes' rows name).
LINKS = {facet.column: facet for facet in facets.LINKED}


class Command(BaseCommand):
    help = "Add N synthetic programmes for benchmarks (or --remove them)."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, nargs="?", default=0)
        parser.add_argument("--remove", action="store_true", help="Delete all synthetic programmes.")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, count: int, remove: bool, seed: int, **options) -> None:
        if remove:
            deleted, _ = Programme.objects.filter(slug__startswith=SYNTHETIC_PREFIX).delete()
            Organisation.objects.filter(slug__startswith=f"{SYNTHETIC_PREFIX}org-").delete()
            self.stdout.write(f"Removed {deleted} rows.")
            return
        started = time.perf_counter()
        generator = SyntheticProgrammes(seed)
        terms = {
            column: dict(facet.model.objects.values_list("slug", "pk")) for column, facet in LINKS.items()
        }
        rates = ExchangeRate.objects.rates_on()
        first = Programme.objects.filter(slug__startswith=SYNTHETIC_PREFIX).count()
        organisations: dict[str, Organisation] = {}
        batch: list[tuple[Programme, dict]] = []
        for n, row in enumerate(generator.rows(first + count, machine_formats=True)):
            if n < first:  # already there from an earlier run: continue the numbering
                continue
            programme = Programme(
                slug=row["slug"],
                organisation=self._organisation(row, organisations),
                state="published",
                is_nationwide=row["is_nationwide"] == "yes",
                amount_min=Decimal(row["amount_min"]) if row["amount_min"] else None,
                amount_max=Decimal(row["amount_max"]),
                currency="KZT",
                deadline_type=row["deadline_type"],
                opens_on=date.fromisoformat(row["opens_on"]),
                closes_on=date.fromisoformat(row["closes_on"]),
                apply_url=row["apply_url"],
                **{
                    f"{field}_{lang}": row[f"{field}_{lang}"]
                    for field in ("title", "summary", "description")
                    for lang in ("en", "ru", "kk")
                },
            )
            programme.derive(rates)  # bulk_create skips save()
            batch.append((programme, row))
            if len(batch) == BATCH:
                self._save(batch, terms)
                batch = []
                self.stdout.write(f"\r{n + 1 - first}/{count}", ending="")
                self.stdout.flush()
        self._save(batch, terms)
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner keeps believing the table is small.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"\rCreated {count} programmes in {time.perf_counter() - started:.0f} s.")

    def _organisation(self, row, organisations):
        name = row["organisation"]
        if name not in organisations:
            organisation, _ = Organisation.objects.get_or_create(
                slug=f"{SYNTHETIC_PREFIX}org-{slugify(to_latin(name))}",
                defaults={
                    "name_en": name,
                    "name_ru": row["organisation_ru"],
                    "name_kk": row["organisation_kk"],
                    "kind": "city",
                },
            )
            organisations[name] = organisation
        return organisations[name]

    @transaction.atomic
    def _save(self, batch, terms) -> None:
        if not batch:
            return
        programmes = Programme.objects.bulk_create([programme for programme, _row in batch])
        for column, facet in LINKS.items():
            through, target = facet.through, facet.field.m2m_reverse_field_name()
            through.objects.bulk_create(
                [
                    through(programme_id=programme.pk, **{f"{target}_id": terms[column][slug]})
                    for programme, (_p, row) in zip(programmes, batch, strict=True)
                    for slug in filter(None, (s.strip() for s in row[column].split(";")))
                ]
            )
        if connection.vendor == "postgresql":
            # Statistics of the tables just grown, before the documents are built from them:
            # where autovacuum is off or behind, the rebuild otherwise plans for empty tables
            # and each batch is slower than the last (measured: minutes per batch by 8,000).
            with connection.cursor() as cursor:
                tables = [Programme._meta.db_table, *(facet.link_table for facet in LINKS.values())]
                cursor.execute("ANALYZE " + ", ".join(tables))
        documents.update_vectors([programme.pk for programme in programmes])
