"""Enumerations of the domain. Each choices field also has a CheckConstraint in models.py."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class DeadlineType(models.TextChoices):
    FIXED = "fixed", _("Fixed deadline")
    ROLLING = "rolling", _("Rolling (apply any time)")
    RECURRING = "recurring", _("Recurring rounds")
    UNTIL_FUNDS_EXHAUSTED = "until-funds-exhausted", _("Until funds are exhausted")


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


class LocationKind(models.TextChoices):
    # Almaty, Astana and Shymkent are "cities of republican significance": they belong to
    # no region. Regional centres are cities inside their region.
    CITY = "city", _("City")
    REGION = "region", _("Region")


class Status(models.TextChoices):
    """Whether a programme accepts applications today (computed, never stored)."""

    OPEN = "open", _("Open")
    UPCOMING = "upcoming", _("Upcoming")
    CLOSED = "closed", _("Closed")


class AlertFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
