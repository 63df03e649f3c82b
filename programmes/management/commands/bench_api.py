"""Time the public API's list endpoint (/api/v1/programmes/) on the search benchmark's searches,
through the real view (rate limit, ETag, JSON), with the page cache off.

    python manage.py generate_programmes 10000
    python manage.py bench_api --repeat 5

Prints, per search and overall, p50/p95 server time and SQL queries per request; the same
searches with ``facets=1``; and one programme's detail.
"""

import gc
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from programmes.models import Programme

from .bench_search import SEARCHES, percentile


class Command(BaseCommand):
    help = "Benchmark the public API's list endpoint (p50/p95) on the search benchmark's searches."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--language", default="ru")

    # The page cache is off (every request runs its search) and the rate limit out of the way.
    @override_settings(
        SECURE_SSL_REDIRECT=False,
        ALLOWED_HOSTS=["testserver"],
        DEBUG=False,
        SEARCH_PAGE_CACHE_SECONDS=0,
        SEARCH_MATCH_CACHE_BYTES=0,
        API_REQUESTS_PER_MINUTE=10**9,
    )
    def handle(self, *args, repeat: int, language: str, **options) -> None:
        client = Client()
        total = Programme.objects.published().count()
        self.stdout.write(f"database: {connection.vendor}, published programmes: {total}, repeat: {repeat}")
        client.get(f"/api/v1/programmes/?lang={language}")  # the first request builds the index
        gc.collect()
        gc.freeze()  # as gunicorn.conf.py does in every worker
        self.stdout.write(
            "{:<24}{:>9}{:>9}{:>9}{:>9}".format("search", "p50 ms", "p95 ms", "queries", "results")
        )
        plain, facets = [], []
        for label, query in SEARCHES:
            url = f"/api/v1/programmes/?{query}&lang={language}"
            times, queries, count = self._time(client, url, repeat)
            plain += times
            p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
            self.stdout.write(f"{label:<24}{p50:9.1f}{p95:9.1f}{queries:9d}{count:>9}")
            facets += self._time(client, f"{url}&facets=1", repeat)[0]
        self.stdout.write(f"{'overall':<24}{percentile(plain, 0.5):9.1f}{percentile(plain, 0.95):9.1f}")
        self.stdout.write(
            f"{'overall, facets=1':<24}{percentile(facets, 0.5):9.1f}{percentile(facets, 0.95):9.1f}"
        )
        slug = Programme.objects.published().order_by("pk").values_list("slug", flat=True).first()
        if slug:
            times = self._time(client, f"/api/v1/programmes/{slug}/?lang={language}", repeat)[0]
            self.stdout.write(
                f"{'one programme':<24}{percentile(times, 0.5):9.1f}{percentile(times, 0.95):9.1f}"
            )

    def _time(self, client, url: str, repeat: int) -> tuple[list[float], int, object]:
        response = client.get(url)  # warm-up (each order's first use, the term lists)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        times, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            queries = len(captured)
        body = response.json()
        return times, queries, body.get("count", "") if isinstance(body, dict) else ""
