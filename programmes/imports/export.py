"""The public "Download these results" export: what a visitor found, as a reader wants it.

Not the staff spreadsheet (resource.py, whose columns re-import): one row per programme with the
columns a reader needs (title, organisation, award, deadline, status, link), in the page's
language and formatted as the result cards show them.
"""

from __future__ import annotations

import tablib
from django.utils.translation import gettext

from ..templatetags.directory import award_range, deadline, kzt_equivalent, status_label, translated


def public_export(programmes, build_url) -> tablib.Dataset:
    """The programmes a visitor found, with the columns a reader needs, in the page's language.

    ``programmes`` should come from ``ProgrammeFilter.selection().results`` (annotated with
    status, card data prefetched); ``build_url`` turns a path into an absolute link.
    """

    dataset = tablib.Dataset(
        headers=[
            gettext("Title"),
            gettext("Organisation"),
            gettext("Type"),
            gettext("Sectors"),
            gettext("Where"),
            gettext("Award"),
            gettext("Currency"),
            gettext("Award in tenge (approx.)"),
            gettext("Deadline"),
            gettext("Status"),
            gettext("Link"),
        ]
    )
    for programme in programmes:
        places = (
            gettext("All of Kazakhstan")
            if programme.is_nationwide
            else ", ".join(loc.name for loc in programme.linked["locations"])
        )
        dataset.append(
            [
                str(translated(programme, "title")),
                str(translated(programme.organisation, "name")),
                ", ".join(t.name for t in programme.linked["types"]),
                ", ".join(s.name for s in programme.linked["sectors"]),
                places,
                award_range(programme),
                programme.currency if award_range(programme) else "",
                kzt_equivalent(programme).removeprefix("≈ "),
                deadline(programme),
                status_label(programme.status),
                build_url(programme.get_absolute_url()),
            ]
        )
    return dataset
