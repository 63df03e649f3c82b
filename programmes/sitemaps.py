"""sitemap.xml: every public page in the three languages, with hreflang alternates."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.urls import reverse

from .choices import PublicationState
from .models import Organisation, Programme


class _Multilingual(Sitemap):
    # One <url> per language, each listing the others (and x-default, the Russian page).
    i18n = True
    alternates = True
    x_default = True


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
