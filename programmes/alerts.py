"""Search alerts and deadline reminders: double opt-in subscriptions without accounts, and the
emails they send (``manage.py send_alerts``).

Every link in an email carries either a subscription's random token (confirm, unsubscribe) or
the address's keyed digest (the "manage my alerts" page): nothing guessable, nothing readable.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from . import selectors
from .caching import count_in_window
from .filters import ProgrammeFilter
from .models import Alert, Programme, Reminder, Subscription, email_digest
from .text import clean_text

logger = logging.getLogger(__name__)

CONFIRM_SALT = "programmes.alerts.confirm"
EARLY_REMINDER_DAYS = 14
FINAL_REMINDER_DAYS = 3


def normalise_email(email: str) -> str:
    return email.strip().lower()


def inbox(email: str) -> str:
    """The mailbox an address delivers to, for counting requests: case and a ``+tag`` folded
    (``Name+1@Example.com`` and ``name@example.com`` reach one inbox)."""
    local, _at, domain = normalise_email(email).rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def absolute_url(path: str) -> str:
    """An address on the public site for an email (which has no request to take the host from)."""
    return settings.SITE_URL + path


# --- Tokens -------------------------------------------------------------------------------------------


def confirm_token(subscription: Subscription) -> str:
    """The confirmation link's token: the subscription's secret, signed with a timestamp so that
    the link expires with the request (ALERT_CONFIRM_DAYS)."""
    return signing.dumps(subscription.token, salt=CONFIRM_SALT)


def subscription_for_confirm_token(value: str) -> Subscription | None:
    """The subscription a confirmation token names; raises signing.SignatureExpired when the link
    is too old, and returns None when it is not one of ours (or was cancelled)."""
    try:
        token = signing.loads(
            value, salt=CONFIRM_SALT, max_age=datetime.timedelta(days=settings.ALERT_CONFIRM_DAYS)
        )
    except signing.SignatureExpired:
        raise
    except signing.BadSignature:
        return None
    return find_subscription(str(token))


def manage_token(email: str) -> str:
    """The "manage my alerts" link's token: the address's keyed digest (models.email_digest).
    It reveals nothing about the address (a signed address was readable without the key), cannot
    be made without SECRET_KEY, and does not expire: the link in an old email still works while
    the address has any alert or reminder, and only ever shows and cancels those."""
    return email_digest(email)


def email_for_manage_token(value: str) -> str | None:
    """The address whose subscriptions a manage token lists, while it has any."""
    for model in (Alert, Reminder):
        email = model.objects.for_email_digest(value).values_list("email", flat=True).first()
        if email is not None:
            return email
    return None


def find_subscription(token: str) -> Subscription | None:
    return Alert.objects.filter(token=token).first() or (
        Reminder.objects.select_related("programme").filter(token=token).first()
    )


# --- Requests -----------------------------------------------------------------------------------------


def allow_request(email: str, ip_address: str | None) -> bool:
    """Count a subscription request; False once the inbox has asked too often today, the IP
    address (programmes.middleware.client_ip) this hour, or everyone together this hour (a
    ceiling on the confirmation emails the site sends). Counted where every process counts
    (caching.count_in_window: Redis, or else the database)."""
    digest = hashlib.sha256(inbox(email).encode()).hexdigest()
    limits = [
        (f"alerts:ip:{ip_address or 'unknown'}", settings.ALERT_REQUESTS_PER_IP, 3600),
        (f"alerts:email:{digest}", settings.ALERT_REQUESTS_PER_EMAIL, 86400),
        # Counted only for requests the two limits above let through.
        ("alerts:all", settings.ALERT_CONFIRMATIONS_PER_HOUR, 3600),
    ]
    return all(count_in_window(key, window) <= limit for key, limit, window in limits)


@transaction.atomic
def request_alert(email: str, query: str, frequency: str, language: str) -> Alert:
    """Record an alert request and email the confirmation link; nothing else is sent until the
    link is followed. Asking again for an unconfirmed search sends a fresh link; a confirmed one
    is left as it is (the page says the same either way, so it reveals nothing)."""
    alert, created = Alert.objects.get_or_create(
        email=normalise_email(email),
        query=query,
        defaults={"frequency": frequency, "language": language},
    )
    if alert.is_confirmed:
        return alert
    if not created:
        alert.frequency, alert.language, alert.created_at = frequency, language, timezone.now()
        alert.save(update_fields=["frequency", "language", "created_at"])
    send_confirmation(alert)
    return alert


@transaction.atomic
def request_reminder(email: str, programme: Programme, language: str) -> Reminder:
    """Like request_alert, for one programme's closing date."""
    reminder, created = Reminder.objects.get_or_create(
        email=normalise_email(email), programme=programme, defaults={"language": language}
    )
    if reminder.is_confirmed:
        return reminder
    if not created:
        reminder.language, reminder.created_at = language, timezone.now()
        reminder.save(update_fields=["language", "created_at"])
    send_confirmation(reminder)
    return reminder


def confirm(subscription: Subscription) -> bool:
    """Confirm a subscription; False when it already was (the link works once)."""
    updated = (
        type(subscription)
        .objects.filter(pk=subscription.pk, confirmed_at__isnull=True)
        .update(confirmed_at=timezone.now())
    )
    return bool(updated)


def describe_alert(alert: Alert, *, words: bool = True) -> list[str]:
    """The alert's search in words, in the current language: ["Sector: Film", …]; ``words``:
    with the words typed in the search box."""
    return ProgrammeFilter(QueryDict(alert.query), queryset=Programme.objects.none()).describe(words=words)


def _one_line(description: list[str]) -> str:
    return "; ".join(description) or gettext("All programmes")


def search_url(alert: Alert) -> str:
    return absolute_url(reverse("programmes:list") + (f"?{alert.query}" if alert.query else ""))


# --- Emails -------------------------------------------------------------------------------------------


def _send(subscription: Subscription, subject: str, template: str, context: dict) -> None:
    """One email in the subscriber's language (call inside translation.override): plain text with
    an HTML alternative, the unsubscribe and manage links, and RFC 8058 one-click headers."""
    unsubscribe_url = absolute_url(reverse("programmes:unsubscribe", args=[subscription.token]))
    context = {
        **context,
        "subscription": subscription,
        "unsubscribe_url": unsubscribe_url,
        "manage_url": absolute_url(reverse("programmes:manage", args=[manage_token(subscription.email)])),
        "site_url": absolute_url(reverse("programmes:home")),
        "language": subscription.language,
    }
    # Control characters (in a title stored before text was cleaned on save) have no place in
    # a header or a body: a mail server may refuse the message (text.py).
    message = EmailMultiAlternatives(
        subject=" ".join(clean_text(subject, multiline=False).split()),
        body=clean_text(render_to_string(f"programmes/email/{template}.txt", context)),
        to=[subscription.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        clean_text(render_to_string(f"programmes/email/{template}.html", context)), "text/html"
    )
    message.send()


def send_confirmation(subscription: Subscription) -> None:
    with translation.override(subscription.language):
        confirm_url = absolute_url(reverse("programmes:confirm", args=[confirm_token(subscription)]))
        context = {"confirm_url": confirm_url, "days": settings.ALERT_CONFIRM_DAYS}
        if isinstance(subscription, Alert):
            context |= {
                # Filters by their names only: words a visitor typed never appear in an email
                # sent to an address they typed too (it could carry any message to anyone).
                "description": describe_alert(subscription, words=False),
                "has_words": bool(QueryDict(subscription.query).get("q", "").strip()),
                "search_url": search_url(subscription),
                "frequency": subscription.get_frequency_display(),
            }
            subject = gettext("Confirm your alert for new programmes")
        else:
            context |= _programme_context(subscription.programme)
            subject = gettext("Confirm your deadline reminder")
        _send(subscription, subject, "confirm", context)


def _programme_context(programme: Programme) -> dict:
    return {"programme": programme, "programme_url": absolute_url(programme.get_absolute_url())}


@dataclass
class Digest:
    new: list[Programme] = field(default_factory=list)
    changed: list[Programme] = field(default_factory=list)
    more: bool = False  # more than ALERT_DIGEST_LIMIT of a kind: the email links the search

    def __bool__(self) -> bool:
        return bool(self.new or self.changed)


def digest_for(alert: Alert, now: datetime.datetime) -> Digest:
    """What the alert's search gained since its last digest (``alert.since``) up to ``now``:
    programmes published in that time, and, separately, programmes published earlier whose dates
    or award changed in that time. Call inside translation.override(alert.language)."""
    limit = settings.ALERT_DIGEST_LIMIT
    matching = selectors.programme_list(QueryDict(alert.query), today=timezone.localdate(now))
    new = list(matching.filter(published_at__gt=alert.since, published_at__lte=now)[: limit + 1])
    changed = list(
        matching.filter(
            published_at__lte=alert.since, terms_changed_at__gt=alert.since, terms_changed_at__lte=now
        )[: limit + 1]
    )
    return Digest(new[:limit], changed[:limit], more=len(new) > limit or len(changed) > limit)


def send_digest(alert: Alert, digest: Digest) -> None:
    with translation.override(alert.language):
        description = describe_alert(alert)
        context = {
            "digest": digest,
            "description": description,
            "search_url": search_url(alert),
            "new": [_programme_context(p) for p in digest.new],
            "changed": [_programme_context(p) for p in digest.changed],
        }
        subject = gettext("New programmes: %(search)s") % {"search": _one_line(description)}
        if not digest.new:
            subject = gettext("Changed deadlines or amounts: %(search)s") % {"search": _one_line(description)}
        _send(alert, subject[:150], "digest", context)


def send_reminder(reminder: Reminder, days_left: int) -> None:
    with translation.override(reminder.language):
        context = {**_programme_context(reminder.programme), "days_left": days_left}
        title = reminder.programme.title or reminder.programme.slug
        subject = ngettext(
            "%(days)d day left to apply: %(title)s", "%(days)d days left to apply: %(title)s", days_left
        ) % {"days": days_left, "title": title}
        _send(reminder, subject[:150], "reminder", context)


# --- The scheduled run ------------------------------------------------------------------------------


@dataclass
class RunSummary:
    digests: int = 0
    reminders: int = 0
    failed: int = 0
    forgotten: int = 0

    def __str__(self) -> str:
        return (
            f"digests sent: {self.digests}, reminders sent: {self.reminders}, failed: {self.failed}, "
            f"expired or finished subscriptions removed: {self.forgotten}"
        )


def send_due(now: datetime.datetime | None = None) -> RunSummary:
    """Send every digest and reminder that is due, once.

    Each email is recorded (``last_sent_at``, ``*_sent_for``) in the same transaction that sends
    it, with the subscription's row locked: a failed send rolls its record back and is retried
    on the next run; a finished one is never sent again, so running twice, or after an
    interruption, or two runs at once, sends nothing twice.
    """
    now = now or timezone.now()
    summary = RunSummary(forgotten=forget_finished(now))
    for alert_id in Alert.objects.due(now).values_list("pk", flat=True):
        summary.digests += _attempt(summary, _send_digest_once, alert_id, now)
    today = timezone.localdate(now)
    candidates = Reminder.objects.confirmed().filter(
        programme__in=Programme.objects.published(),
        programme__closes_on__gte=today,
        programme__closes_on__lte=today + datetime.timedelta(days=EARLY_REMINDER_DAYS),
    )
    for reminder_id in candidates.values_list("pk", flat=True):
        summary.reminders += _attempt(summary, _send_reminder_once, reminder_id, today)
    return summary


def _attempt(summary: RunSummary, send, *args) -> bool:
    # A mail server that refuses one email must not stop the others; the failed one was rolled
    # back and is tried again on the next run.
    try:
        return send(*args)
    except (OSError, smtplib.SMTPException):
        logger.exception("Sending %s%r failed; it will be retried on the next run", send.__name__, args)
        summary.failed += 1
        return False


def _locked(queryset):
    # Another run holding the row is sending it now: skip it rather than wait and send again.
    return queryset.select_for_update(skip_locked=True)


def _send_digest_once(alert_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        alert = _locked(Alert.objects.due(now).filter(pk=alert_id)).first()
        if alert is None:
            return False
        with translation.override(alert.language):
            digest = digest_for(alert, now)
        if not digest:
            return False  # nothing to tell: the period stays open until there is
        alert.last_sent_at = now
        alert.save(update_fields=["last_sent_at"])
        send_digest(alert, digest)
    return True


def reminder_stage(reminder: Reminder, closes_on: datetime.date | None, today: datetime.date) -> str | None:
    """Which reminder is due today: "final" from 3 days before the closing date, "early" from
    14 days before, each once per closing date (a moved deadline is reminded of again)."""
    if closes_on is None or closes_on < today:
        return None
    days_left = (closes_on - today).days
    if days_left <= FINAL_REMINDER_DAYS:
        return "final" if reminder.final_sent_for != closes_on else None
    if days_left <= EARLY_REMINDER_DAYS:
        return "early" if reminder.early_sent_for != closes_on else None
    return None


def _send_reminder_once(reminder_id: int, today: datetime.date) -> bool:
    with transaction.atomic():
        reminder = _locked(Reminder.objects.confirmed().filter(pk=reminder_id)).first()
        if reminder is None:
            return False
        programme = Programme.objects.published().filter(pk=reminder.programme_id).first()
        closes_on = programme.closes_on if programme else None
        stage = reminder_stage(reminder, closes_on, today)
        if stage is None:
            return False
        reminder.programme = programme
        if stage == "final":
            reminder.final_sent_for = reminder.early_sent_for = closes_on
        else:
            reminder.early_sent_for = closes_on
        reminder.save(update_fields=["early_sent_for", "final_sent_for"])
        send_reminder(reminder, (closes_on - today).days)
    return True


def forget_finished(now: datetime.datetime) -> int:
    """Delete what no longer needs an address: requests never confirmed in time, and reminders
    for programmes whose closing date has passed. Returns how many were deleted."""
    expired = now - datetime.timedelta(days=settings.ALERT_CONFIRM_DAYS)
    deleted = Alert.objects.unconfirmed_since_before(expired).delete()[0]
    deleted += Reminder.objects.unconfirmed_since_before(expired).delete()[0]
    deleted += Reminder.objects.filter(programme__closes_on__lt=timezone.localdate(now)).delete()[0]
    return deleted
