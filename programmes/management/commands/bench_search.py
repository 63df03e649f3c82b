"""Time the search page: a fixed set of realistic searches through the real view, beside a naive
baseline (django-filter, icontains over the translated columns, no index).

    python manage.py generate_programmes 100000
    python manage.py bench_search --repeat 5

Prints, per search and overall, p50/p95 server time and SQL queries per request; the cost of
reading the directory version (once per request); and the first search pages after one
programme is saved (the index patched, not rebuilt). Saving edits a synthetic programme's title
and puts it back.
"""

import gc
import statistics
import time

import django_filters
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import (
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)

from programmes import index, versioning
from programmes.models import Location, Programme, ProgrammeType, Sector

# (label, query string): words, phrases, filters only, filters with words, typos, the other
# script, deep pages, and every sort.
SEARCHES = [
    ("word ru", "q=кино"),
    ("word ru form", "q=кинопроектов"),
    ("word ru plural", "q=гранты"),
    ("word kk", "q=гранттар"),
    ("word kk suffix", "q=музыканттарға"),
    ("word en", "q=grant"),
    ("word en plural", "q=scholarships"),
    ("two words ru", "q=грант+музыка"),
    ("two words en", "q=film+fund"),
    ("purpose ru", "q=деньги+на+фильм"),
    ("purpose en", "q=game+studio+grant"),
    ("phrase", "q=%22creative+economy%22"),
    ("exclusion", "q=грант+-музыка"),
    ("or", "q=кино+or+анимация"),
    ("typo latin", "q=Tolkyn"),
    ("typo cyrillic", "q=акселератр"),
    ("other script ru→lat", "q=Даму"),
    ("other script lat→kk", "q=Tolqyn"),
    ("filter sector", "sector=film"),
    ("filter two sectors", "sector=film&sector=music"),
    ("filter city", "city=almaty"),
    ("filter region", "city=mangystau-region"),
    ("filter type+size", "type=grant&business_size=small"),
    ("filter amount", "amount_max=10000000"),
    ("filter amount usd", "amount_min=10000&currency=usd"),
    ("filter closing soon", "closing_within=30"),
    ("filter all statuses", "status=open&status=upcoming&status=closed"),
    ("words+filters", "q=грант&sector=film&city=almaty"),
    ("words+amount", "q=grant&amount_max=5000000&type=grant"),
    ("deep page", "page=50"),
    ("deep page+filter", "sector=music&page=20"),
    ("sort deadline", "sort=deadline&sector=design"),
    ("sort amount desc", "sort=amount_desc"),
    ("sort amount asc", "sort=amount_asc&city=astana"),
    ("sort newest", "sort=newest&type=loan"),
    ("sort title", "sort=title&q=fund"),
]

TEXT_COLUMNS = [
    f"{field}_{lang}" for field in ("title", "summary", "description") for lang in ("kk", "ru", "en")
]


class NaiveFilter(django_filters.FilterSet):
    """What a first version would do: icontains over every translated column, joins for terms."""

    q = django_filters.CharFilter(method="words")
    type = django_filters.ModelMultipleChoiceFilter(
        field_name="types__slug", to_field_name="slug", queryset=ProgrammeType.objects.all()
    )
    sector = django_filters.ModelMultipleChoiceFilter(
        field_name="sectors__slug", to_field_name="slug", queryset=Sector.objects.all()
    )
    city = django_filters.ModelMultipleChoiceFilter(
        field_name="locations__slug", to_field_name="slug", queryset=Location.objects.all()
    )

    class Meta:
        model = Programme
        fields: list[str] = []

    def words(self, queryset, name, value):
        for word in value.split():
            condition = Q()
            for column in TEXT_COLUMNS:
                condition |= Q(**{f"{column}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Benchmark the search page against a naive baseline."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--language", default="ru")
        parser.add_argument("--no-baseline", action="store_true")
        parser.add_argument(
            "--match-cache",
            action="store_true",
            help="keep the per-process cache of word matches (off by default: every page matches its words)",
        )

    # The page cache is off: these are the figures of a search actually run, not of a cached copy.
    @override_settings(
        SECURE_SSL_REDIRECT=False, ALLOWED_HOSTS=["testserver"], DEBUG=False, SEARCH_PAGE_CACHE_SECONDS=0
    )
    def handle(
        self, *args, repeat: int, language: str, no_baseline: bool, match_cache: bool, **options
    ) -> None:
        # Instrumented templates give the test client the response's context (result counts).
        setup_test_environment()
        try:
            if match_cache:
                self._run(repeat, language, no_baseline)
            else:
                with override_settings(SEARCH_MATCH_CACHE_BYTES=0):
                    self._run(repeat, language, no_baseline)
        finally:
            teardown_test_environment()

    def _run(self, repeat: int, language: str, no_baseline: bool) -> None:
        client = Client()
        total = Programme.objects.published().count()
        cache = "on" if settings.SEARCH_MATCH_CACHE_BYTES else "off"
        self.stdout.write(
            f"database: {connection.vendor}, published programmes: {total}, repeat: {repeat}, "
            f"match cache: {cache}"
        )
        self._index_costs(language)
        self._version_cost()
        self._after_one_save(client, language)
        header = ("search", "p50 ms", "p95 ms", "queries", "results", "naive p50", "ratio")
        self.stdout.write("{:<24}{:>9}{:>9}{:>9}{:>9}{:>11}{:>8}".format(*header))
        client.get(f"/{language}/programmes/")  # the application's first request loads the rest
        # As gunicorn.conf.py does in every worker: what lives as long as the process is frozen
        # out of the garbage collector's full collections (about 70 ms each otherwise).
        gc.collect()
        gc.freeze()
        ours_all, naive_all, word_ratios = [], [], []
        for label, query in SEARCHES:
            url = f"/{language}/programmes/?{query}"
            client.get(url)  # warm-up
            times, queries = [], 0
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                queries = len(captured)
            ours_all += times
            found = response.context["page_obj"].paginator.count if response.context else "?"
            p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
            line = f"{label:<24}{p50:9.1f}{p95:9.1f}{queries:9d}{found:>9}"
            if not no_baseline:
                naive = self._naive(query, repeat)
                naive_all += naive
                ratio = percentile(naive, 0.5) / percentile(times, 0.5)
                if query.startswith("q=") and "&" not in query:
                    word_ratios.append(ratio)
                line += f"{percentile(naive, 0.5):11.1f}{ratio:7.1f}x"
            self.stdout.write(line)
        self.stdout.write(
            f"{'overall':<24}{percentile(ours_all, 0.5):9.1f}{percentile(ours_all, 0.95):9.1f}"
            + (f"{'':18}{percentile(naive_all, 0.5):11.1f}" if naive_all else "")
        )
        if word_ratios:
            median = statistics.median(word_ratios)
            self.stdout.write(f"word searches: ours is {median:.0f}x faster than the naive baseline (median)")

    def _index_costs(self, language: str) -> None:
        """What a process pays once per change of the directory (index.py): building the index,
        and each order the first time it is asked for."""
        from django.utils import timezone, translation

        today = timezone.localdate()
        built = index.ProgrammeIndex.build(today)
        size = sum(
            getattr(built, name).nbytes for name in ("ids", "status", "closes_on", "amount_min", "amount_max")
        )
        size += sum(links.bits.nbytes for links in built.links.values())
        self.stdout.write(
            f"index: built in {built.build_seconds * 1000:.0f} ms, {built.size} programmes, "
            f"{size / 2**20:.1f} MB of arrays"
        )
        with translation.override(language):
            costs = []
            for sort in ("relevance", "deadline", "amount_desc", "amount_asc", "newest", "title"):
                started = time.perf_counter()
                built.order(sort)
                costs.append(f"{sort} {(time.perf_counter() - started) * 1000:.0f}")
        self.stdout.write("first use of each order, ms: " + ", ".join(costs))

    def _version_cost(self) -> None:
        """What every request pays to know the directory's version: one primary-key read."""
        reads = 2000
        started = time.perf_counter()
        for _ in range(reads):
            versioning._read()
        each = (time.perf_counter() - started) / reads * 1e6
        self.stdout.write(f"directory version read: {each:.0f} µs per request (mean of {reads})")

    def _after_one_save(self, client, language: str) -> None:
        """The first search pages after one programme is saved (committed), in a process that
        had every order in use: the index is patched with that programme, not rebuilt."""
        from django.utils import timezone

        synthetic = Programme.objects.filter(slug__startswith="synthetic-").order_by("pk")
        count = synthetic.count()
        if not count:
            self.stdout.write("after one save: no synthetic programmes (generate_programmes first)")
            return
        pages = {"default": "", "title": "sort=title", "words": "q=кино"}
        timings = {name: [] for name in pages}
        patches = []
        for number in range(5):
            programme = synthetic[count * number // 5]
            for query in pages.values():
                client.get(f"/{language}/programmes/?{query}")  # every order in use, all current
            original = programme.title_en
            programme.title_en = f"{original} (edited)"
            programme.save()  # committed: the version advances
            try:
                for name, query in pages.items():
                    started = time.perf_counter()
                    client.get(f"/{language}/programmes/?{query}")
                    timings[name].append((time.perf_counter() - started) * 1000)
                    if name == "default":
                        patched = index.current(timezone.localdate())
                        patches.append(patched.build_seconds * 1000 if patched.patches else float("nan"))
            finally:
                programme.title_en = original
                programme.save()
        line = ", ".join(
            f"{name} p50 {percentile(times, 0.5):.0f} / max {max(times):.0f}"
            for name, times in timings.items()
        )
        self.stdout.write(f"first page after one save, ms (5 saves): {line}")
        self.stdout.write(f"  of which patching the index: p50 {percentile(patches, 0.5):.1f} ms")

    def _naive(self, query: str, repeat: int) -> list[float]:
        from django.http import QueryDict

        data = QueryDict(query)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            filterset = NaiveFilter(data, queryset=Programme.objects.published().distinct())
            queryset = filterset.qs.order_by("closes_on", "pk")
            queryset.count()
            list(
                queryset.select_related("organisation").prefetch_related("types", "sectors", "locations")[:20]
            )
            times.append((time.perf_counter() - started) * 1000)
        return times
