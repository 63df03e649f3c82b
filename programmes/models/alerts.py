"""Email subscriptions: search alerts and deadline reminders (double opt-in, no account)."""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from ..choices import AlertFrequency
from .base import _choices_check
from .programmes import Programme


def new_token() -> str:
    """An unguessable identifier for links in emails (256 bits)."""
    return secrets.token_urlsafe(32)


EMAIL_DIGEST_SALT = "programmes.alerts.manage"


def email_digest(email: str) -> str:
    """An address's keyed digest (HMAC-SHA256 under SECRET_KEY), the same for every spelling."""
    return salted_hmac(EMAIL_DIGEST_SALT, email.strip().lower(), algorithm="sha256").hexdigest()


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def unconfirmed_since_before(self, moment: datetime.datetime):
        """Requests never confirmed and older than ``moment``: expired, to be forgotten."""
        return self.filter(confirmed_at__isnull=True, created_at__lt=moment)

    def for_email(self, email: str):
        return self.filter(email=email.strip().lower())

    def for_email_digest(self, digest: str):
        return self.filter(email_digest=digest)


class Subscription(models.Model):
    """What alerts and reminders share: an address that confirmed it wants the emails (double
    opt-in, no account), the language to write in, and the secret token of its links."""

    email = models.EmailField(_("email address"), max_length=254)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    token = models.CharField(max_length=64, default=new_token, editable=False)
    # The "manage my alerts" link's token: the address's HMAC under SECRET_KEY (email_digest),
    # which reveals nothing about the address and cannot be made without the key.
    email_digest = models.CharField(max_length=64, editable=False, db_index=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["token"], name="%(class)s_unique_token"),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="%(class)s_email_lowercase"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email_digest = email_digest(self.email)
        super().save(*args, **kwargs)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class AlertQuerySet(SubscriptionQuerySet):
    def due(self, now: datetime.datetime):
        """Confirmed alerts whose period (a day or a week) has passed since the last digest
        (or since confirmation), with an hour's slack for a scheduler that runs a little early."""
        slack = datetime.timedelta(hours=1)
        condition = Q()
        for frequency, period in ALERT_PERIODS.items():
            cutoff = now - period + slack
            condition |= Q(frequency=frequency) & (
                Q(last_sent_at__lte=cutoff) | Q(last_sent_at__isnull=True, confirmed_at__lte=cutoff)
            )
        return self.confirmed().filter(condition)


ALERT_PERIODS = {
    AlertFrequency.DAILY: datetime.timedelta(days=1),
    AlertFrequency.WEEKLY: datetime.timedelta(days=7),
}


class Alert(Subscription):
    """ "Email me new programmes like these": a saved search sent as a daily or weekly digest."""

    query = models.CharField(
        _("search"), max_length=2000, blank=True, help_text=_("The search page's query string.")
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=AlertFrequency.choices, default=AlertFrequency.WEEKLY
    )
    last_sent_at = models.DateTimeField(_("last digest sent"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta(Subscription.Meta):
        verbose_name = _("search alert")
        verbose_name_plural = _("search alerts")
        ordering = ["email", "created_at"]
        constraints = [
            *Subscription.Meta.constraints,
            models.UniqueConstraint(fields=["email", "query"], name="alert_unique_search_per_email"),
            _choices_check("frequency", AlertFrequency, "alert_frequency_valid"),
        ]

    @property
    def since(self) -> datetime.datetime | None:
        """The start of the period the next digest covers."""
        return self.last_sent_at or self.confirmed_at


class Reminder(Subscription):
    """ "Remind me": emails 14 and 3 days before a programme's closing date. Each reminder
    remembers the closing date it was sent for, so a moved deadline is reminded of again."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="reminders"
    )
    early_sent_for = models.DateField(_("14-day reminder sent for"), null=True, blank=True)
    final_sent_for = models.DateField(_("3-day reminder sent for"), null=True, blank=True)

    class Meta(Subscription.Meta):
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        ordering = ["email", "created_at"]
        constraints = [
            *Subscription.Meta.constraints,
            models.UniqueConstraint(fields=["email", "programme"], name="reminder_unique_per_email"),
        ]
