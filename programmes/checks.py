"""Deployment checks of our own (``manage.py check --deploy``): settings whose safe development
default would be a leak or a broken product in production."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "testserver"}  # noqa: S104 (names, not a bind)


@register(Tags.security, deploy=True)
def check_email_is_sent(app_configs=None, **kwargs):
    if settings.EMAIL_BACKEND != CONSOLE_EMAIL:
        return []
    return [
        Error(
            "Emails are printed to the log, not sent: EMAIL_URL (or EMAIL_HOST) is not set.",
            hint="Set EMAIL_URL, e.g. smtp://user:password@mail.example.kz:587. Printed emails put "
            "every subscriber's confirmation and unsubscribe links into the log.",
            id="programmes.E001",
        )
    ]


@register(Tags.security, deploy=True)
def check_site_url_is_public(app_configs=None, **kwargs):
    parts = urlsplit(settings.SITE_URL)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host and host not in LOCAL_HOSTS and not host.endswith(".localhost"):
        return []
    return [
        Error(
            f"SITE_URL is {settings.SITE_URL!r}: the links in emails and the calendars' event ids "
            "need the public site's https:// address.",
            hint="Set SITE_URL, e.g. https://funding.kz (no trailing slash).",
            id="programmes.E002",
        )
    ]
