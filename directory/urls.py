from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from programmes import sitemaps, views_open
from programmes.views import healthz, robots_txt

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    # The admin's language choice (templates/admin/base_site.html) sets the language cookie;
    # public pages carry their language in the address instead.
    path("i18n/setlang/", set_language, name="set_language"),
    # Outside the language prefix, for load balancers (see docs/deploy.md).
    path("healthz", healthz, name="healthz"),
    # One index for every language, one file per section (pages of SECTION_SIZE items), each
    # built once per change of the directory (programmes/sitemaps.py); each entry lists its
    # kk/ru/en alternates.
    path("sitemap.xml", sitemaps.index, name="sitemap-index"),
    path("sitemap-<section>.xml", sitemaps.section, name="sitemap"),
    path("robots.txt", robots_txt, name="robots"),
    # The open directory (#16), outside the language prefix: stable addresses for partners' pages
    # (the widget takes ?lang=) and for the data files (all three languages in one file).
    path("widget/", views_open.widget, name="widget"),
    path("open-data/programmes.<str:file_type>", views_open.open_data_download, name="open-data"),
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
