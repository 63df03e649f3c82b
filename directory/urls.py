from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from programmes.views import healthz

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    # Outside the language prefix, for load balancers (see docs/deploy.md).
    path("healthz", healthz, name="healthz"),
]

# Every public page lives under its language: /kk/, /ru/, /en/. A bare "/" is redirected by
# LocaleMiddleware to the browser's preferred language.
urlpatterns += i18n_patterns(
    path("", include("programmes.urls")),
    prefix_default_language=True,
)
