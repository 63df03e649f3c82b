"""Enumerations of the domain. Each choices field also has a CheckConstraint in models.py."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class DeadlineType(models.TextChoices):
    FIXED = "fixed", _("Fixed deadline")
    ROLLING = "rolling", _("Rolling (apply any time)")
    RECURRING = "recurring", _("Recurring rounds")
    UNTIL_FUNDS_EXHAUSTED = "until-funds-exhausted", _("Until funds are exhausted")
    # No source states when to apply: said so, rather than guessed as "any time".
    NOT_PUBLISHED = "not-published", _("Dates not published — ask the organiser")


class Currency(models.TextChoices):
    KZT = "KZT", _("Kazakhstani tenge (₸)")
    USD = "USD", _("US dollar ($)")
    EUR = "EUR", _("Euro (€)")
    GBP = "GBP", _("Pound sterling (£)")


class OrganisationKind(models.TextChoices):
    STATE = "state", _("State fund or agency")
    CITY = "city", _("City programme operator")
    PRIVATE = "private", _("Private investor or fund")
    UNIVERSITY = "university", _("University")
    INTERNATIONAL = "international", _("International organisation")
    NGO = "ngo", _("Non-governmental organisation")
    COMPANY = "company", _("Company")
    # What the sources say nothing about stays unsaid (#14).
    NOT_STATED = "not-stated", _("Not stated")


class LocationKind(models.TextChoices):
    # Almaty, Astana and Shymkent are "cities of republican significance": they belong to
    # no region. Regional centres are cities inside their region.
    CITY = "city", _("City")
    REGION = "region", _("Region")


class Status(models.TextChoices):
    """Whether a programme accepts applications today (computed, never stored)."""

    OPEN = "open", _("Open")
    UPCOMING = "upcoming", _("Upcoming")
    # Deadline type "not-published": whether it accepts applications is not known. Not open
    # (nobody is told to apply today), not hidden (it exists and can be asked about).
    UNKNOWN = "unknown", _("Dates not published")
    CLOSED = "closed", _("Closed")


class ReviewReason(models.TextChoices):
    """Why a published programme is in the staff review queue (see ProgrammeQuerySet.needing_review)."""

    NOT_VERIFIED = "not-verified", _("Not verified recently")
    DEADLINE_PASSED = "deadline-passed", _("Closing date has passed")
    NO_NEXT_ROUND = "no-next-round", _("Recurring: next round's dates missing")
    BROKEN_LINK = "broken-link", _("Broken link")
    PROBLEM_REPORTED = "problem-reported", _("Problem reported by a visitor")


class ReportStatus(models.TextChoices):
    # A context of its own: in Russian a report is "открыто", a programme "открыта".
    OPEN = "open", pgettext_lazy("problem report", "Open")
    RESOLVED = "resolved", pgettext_lazy("problem report", "Resolved")


class LinkError(models.TextChoices):
    """How a link check failed before any HTTP status was received (stored instead of a status code)."""

    TIMEOUT = "timeout", _("Timed out")
    DNS = "dns", _("Unknown host name")
    CONNECTION = "connection", _("Connection failed")
    TLS = "tls", _("Certificate or TLS error")
    INVALID_RESPONSE = "invalid-response", _("Invalid HTTP response")
    TOO_MANY_REDIRECTS = "too-many-redirects", _("Too many redirects")
    INVALID_URL = "invalid-url", _("Not a web address")
    ERROR = "error", _("Unexpected error")


class AlertFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class OpenDataFormat(models.TextChoices):
    # The open-data downloads (opendata.py), stored as built by build_open_data.
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    JSON = "json", "JSON"
