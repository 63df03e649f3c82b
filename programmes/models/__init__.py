"""The directory's data: organisations, programmes, their taxonomies and exchange rates.

Domain reads ("published", "open", "available in Almaty") are QuerySet methods defined once
(models/programme_queries.py for programmes) and reused by views, filters, the admin and exports.

A package of one module per concern; everything public is re-exported here, so code imports
``from programmes.models import X`` whichever module defines X. Within the package, imports run
one way, without cycles: base; taxonomy and system; editorial; programme_queries; programmes;
then organisations, documents and alerts. Where a module lower down needs a relation to a model
defined higher up, the field names the model ("Programme") instead of importing it.
"""

from .alerts import (
    ALERT_PERIODS,
    EMAIL_DIGEST_SALT,
    Alert,
    AlertQuerySet,
    Reminder,
    Subscription,
    SubscriptionQuerySet,
    email_digest,
    new_token,
)
from .base import AMOUNT, localized_sort_key
from .documents import SearchDocument, SearchWord
from .editorial import ProblemReport, ProgrammeSource, newest_source_date
from .organisations import Organisation, OrganisationQuerySet
from .programme_queries import (
    BROKEN_STATUSES,
    CHECKED_LINKS,
    OPEN_ENDED_DEADLINES,
    ProgrammeQuerySet,
    broken_link,
    is_broken_result,
)
from .programmes import (
    DERIVED_FIELDS,
    LOADED_FIELDS,
    TERMS_FIELDS,
    TRACKED_FIELDS,
    Programme,
    ProgrammeToReview,
)
from .system import (
    DirectoryChange,
    DirectoryVersion,
    ImportRecord,
    OpenDataFile,
    OpenDataFileQuerySet,
    RateCounter,
    UsedFormToken,
)
from .taxonomy import (
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    ExchangeRateQuerySet,
    Location,
    ProgrammeType,
    Sector,
    Taxonomy,
    TaxonomyQuerySet,
)

__all__ = [
    "ALERT_PERIODS",
    "AMOUNT",
    "BROKEN_STATUSES",
    "CHECKED_LINKS",
    "DERIVED_FIELDS",
    "EMAIL_DIGEST_SALT",
    "LOADED_FIELDS",
    "OPEN_ENDED_DEADLINES",
    "TERMS_FIELDS",
    "TRACKED_FIELDS",
    "Alert",
    "AlertQuerySet",
    "ApplicantKind",
    "BusinessSize",
    "DirectoryChange",
    "DirectoryVersion",
    "ExchangeRate",
    "ExchangeRateQuerySet",
    "ImportRecord",
    "Location",
    "OpenDataFile",
    "OpenDataFileQuerySet",
    "Organisation",
    "OrganisationQuerySet",
    "ProblemReport",
    "Programme",
    "ProgrammeQuerySet",
    "ProgrammeSource",
    "ProgrammeToReview",
    "ProgrammeType",
    "RateCounter",
    "Reminder",
    "SearchDocument",
    "SearchWord",
    "Sector",
    "Subscription",
    "SubscriptionQuerySet",
    "Taxonomy",
    "TaxonomyQuerySet",
    "UsedFormToken",
    "alerts",
    "base",
    "broken_link",
    "documents",
    "editorial",
    "email_digest",
    "is_broken_result",
    "localized_sort_key",
    "new_token",
    "newest_source_date",
    "organisations",
    "programme_queries",
    "programmes",
    "system",
    "taxonomy",
]
