from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from programmes import sitemaps
from programmes.views import healthz, robots_txt

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    # Outside the language prefix, for load balancers (see docs/deploy.md).
    path("healthz", healthz, name="healthz"),
    # One index for every language, one file per section (pages of SECTION_SIZE items), each
    # built once per change of the directory (programmes/sitemaps.py); each entry lists its
    # kk/ru/en alternates.
    path("sitemap.xml", sitemaps.index, name="sitemap-index"),
    path("sitemap-<section>.xml", sitemaps.section, name="sitemap"),
    path("robots.txt", robots_txt, name="robots"),
    # The public JSON API: no language prefix (?lang= or Accept-Language chooses).
    path("api/v1/", include("programmes.api_urls")),
]

# Every public page lives under its language: /kk/, /ru/, /en/. A bare "/" is redirected by
# LocaleMiddleware to the browser's preferred language.
urlpatterns += i18n_patterns(
    path("", include("programmes.urls")),
    prefix_default_language=True,
)

# The 400 page is rendered without the request (see programmes.views.bad_request).
handler400 = "programmes.views.bad_request"
