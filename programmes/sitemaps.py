"""sitemap.xml: every public page in the three languages, with hreflang alternates.

Built from every published programme, so never per request: each file (the index, each page of
each section) is built once per change of the directory and served from the cache
(caching.cached_by_generation); a section page holds at most SECTION_SIZE URLs (500 programmes
in three languages), so that no single request renders much.
"""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Max, Q
from django.urls import reverse

from .caching import cached_by_generation
from .choices import PublicationState
from .models import Organisation, Programme

# URLs per section page (Django counts each language's URL of an item): 500 programmes in
# three languages. The protocol allows 50,000; small pages bound what one request renders,
# about 0.3 s on the benchmark machine (docs/benchmarks.md).
SECTION_SIZE = 1500


class _ItemsInLanguages:
    """The (item, language) pairs Django's sitemap paginates, read page by page: Django builds
    the list of every pair, i.e. reads every published programme, for each page it renders."""

    def __init__(self, items, languages: list[str]):
        self.items, self.languages = items, languages

    def __len__(self) -> int:
        count = self.items.count() if hasattr(self.items, "query") else len(self.items)
        return count * len(self.languages)

    def __getitem__(self, urls: slice) -> list:
        per_item = len(self.languages)
        first, last = urls.start // per_item, -(-urls.stop // per_item)
        pairs = [(item, language) for item in self.items[first:last] for language in self.languages]
        start = urls.start - first * per_item
        return pairs[start : start + urls.stop - urls.start]


class _Multilingual(Sitemap):
    # One <url> per language, each listing the others (and x-default, the Russian page).
    limit = SECTION_SIZE
    i18n = True
    alternates = True
    x_default = True

    def _items(self):
        return _ItemsInLanguages(self.items(), self._languages())


class StaticSitemap(_Multilingual):
    changefreq = "daily"

    def items(self):
        return ["programmes:home", "programmes:list"]

    def location(self, item):
        return reverse(item)


class ProgrammeSitemap(_Multilingual):
    changefreq = "weekly"

    def items(self):
        return Programme.objects.published().order_by("pk").only("slug", "updated_at")

    def lastmod(self, programme):
        return programme.updated_at

    def get_latest_lastmod(self):
        # For the index: one aggregate instead of Django's loop over every programme.
        return Programme.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class OrganisationSitemap(_Multilingual):
    """Organisations with at least one published programme: the others' pages list nothing."""

    changefreq = "weekly"

    def items(self):
        return (
            Organisation.objects.with_published_programmes()
            # Edits of drafts are not public: they do not change the page.
            .annotate(
                last_change=Max(
                    "programmes__updated_at", filter=Q(programmes__state=PublicationState.PUBLISHED)
                )
            )
            .order_by("pk")
            .only("slug", "updated_at")
        )

    def lastmod(self, organisation):
        return max(organisation.updated_at, organisation.last_change or organisation.updated_at)


SITEMAPS = {"pages": StaticSitemap, "programmes": ProgrammeSitemap, "organisations": OrganisationSitemap}


def _key(request) -> str:
    # The files hold absolute addresses: scheme and host are part of the key; of the
    # parameters only the page number counts.
    return f"sitemap:{request.scheme}://{request.get_host()}{request.path}?p={request.GET.get('p', '')[:10]}"


def index(request):
    return cached_by_generation(
        request,
        _key(request),
        settings.SITEMAP_CACHE_SECONDS,
        lambda: sitemap_views.index(request, sitemaps=SITEMAPS, sitemap_url_name="sitemap"),
    )


def section(request, section):
    return cached_by_generation(
        request,
        _key(request),
        settings.SITEMAP_CACHE_SECONDS,
        lambda: sitemap_views.sitemap(request, sitemaps=SITEMAPS, section=section),
    )
