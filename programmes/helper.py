"""'Can I apply?': four questions mapped onto the search page's vocabulary.

The answers become search parameters (applicant, city, sector, type) and the suggestions are the
search page's own results for them (filters.ProgrammeFilter), open ones first, then those that
open later or whose dates are not published. Each suggestion says which of its facts match
which answer. The mapping of "what you need" to programme types is written down here once
(NEEDS), with what it cannot say: the directory has no type for space or for mentoring.
"""

from dataclasses import dataclass

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .caching import cached_terms
from .choices import Status
from .models import Location, Sector
from .selectors import places_in_name_order, search_page

SUGGESTIONS = 20

# "Who are you?" → an applicant kind (taxonomy slug), and how a reason says it.
APPLICANTS = {
    "individual": (_("An individual (a person, not a business)"), _("open to individuals")),
    "sole-proprietor": (_("A sole proprietor"), _("open to sole proprietors")),
    "company": (_("A company"), _("open to companies")),
    "ngo": (_("An NGO (non-profit organisation)"), _("open to NGOs")),
    "student": (_("A student"), _("open to students")),
}


@dataclass(frozen=True)
class Need:
    label: object
    types: tuple[str, ...]
    # What the page says about the mapping: where the directory has no type for the need, it says so.
    note: object = ""


NEEDS = {
    "grant": Need(_("Money as a grant"), ("grant",)),
    # Damu's guarantees and interest-rate subsidies are on bank loans: they are how a loan is
    # made possible or cheaper, so they answer "I need a loan" (the reason names each one's type).
    "loan": Need(
        _("A loan"),
        ("loan", "guarantee", "subsidy"),
        _("Loans, and the guarantees and interest-rate subsidies that go with bank loans."),
    ),
    "investment": Need(_("Investment"), ("investment-fund",)),
    "training": Need(
        _("Training or study"),
        ("education", "scholarship"),
        _("Courses and education programmes, and scholarships for study."),
    ),
    "space": Need(
        _("A place to work"),
        ("creative-hub",),
        _(
            "The directory has no type for work space; creative hubs are the programmes that offer "
            "it, so they are suggested. Ask the hub what space it has."
        ),
    ),
    "mentoring": Need(
        _("Mentoring"),
        ("accelerator", "incubator"),
        _(
            "The directory has no type for mentoring; accelerators and incubators include it, so "
            "they are suggested."
        ),
    ),
}


def place_choices() -> list[tuple[str, str]]:
    """Places as the search page's filter lists them: by name in the page's language, each
    region followed by its cities (marked with a dash, since a select cannot indent)."""
    return [
        (place.slug, f"— {place.name}" if place.parent_id else place.name)
        for place in places_in_name_order(cached_terms(Location))
    ]


class HelperForm(forms.Form):
    applicant = forms.ChoiceField(
        label=_("Who are you?"),
        required=False,
        widget=forms.RadioSelect,
        choices=[(slug, label) for slug, (label, _reason) in APPLICANTS.items()],
    )
    city = forms.ChoiceField(label=_("Where are you based?"), required=False)
    sector = forms.ChoiceField(label=_("What is your creative field?"), required=False)
    need = forms.ChoiceField(
        label=_("What do you need?"),
        required=False,
        widget=forms.RadioSelect,
        choices=[(slug, need.label) for slug, need in NEEDS.items()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", _("Anywhere in Kazakhstan")), *place_choices()]
        self.fields["sector"].choices = [("", _("Any field"))] + [
            (sector.slug, sector.name) for sector in cached_terms(Sector)
        ]

    def has_answers(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.fields)


def search_query(answers: dict) -> QueryDict:
    """The answers as the search page's parameters (the link the helper ends with)."""
    query = QueryDict(mutable=True)
    if answers.get("applicant"):
        query["applicant"] = answers["applicant"]
    if answers.get("city"):
        query["city"] = answers["city"]
    if answers.get("sector"):
        query["sector"] = answers["sector"]
    if answers.get("need"):
        query.setlist("type", list(NEEDS[answers["need"]].types))
    return query


def _with_statuses(query: QueryDict, statuses) -> QueryDict:
    narrowed = query.copy()
    narrowed.setlist("status", list(statuses))
    return narrowed


def _lower_first(name: str) -> str:
    # "Film" → "film" inside a sentence; "IT" stays "IT".
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def reasons(programme, answers: dict, places: dict) -> list[str]:
    """Why ``programme`` fits the answers, one phrase per answer, from its own facts."""
    said = []
    if answers.get("applicant"):
        said.append(str(APPLICANTS[answers["applicant"]][1]))
    if answers.get("city"):
        place = places[answers["city"]]
        listed = {loc.pk: loc for loc in programme.linked["locations"]}
        if programme.is_nationwide:
            said.append(gettext("available everywhere in Kazakhstan"))
        elif place.pk in listed:
            said.append(gettext("available in %(place)s") % {"place": place.name})
        else:
            # Listed through the place's region, or (for a region) through one of its cities.
            near = listed.get(place.parent_id) or next(
                (loc for loc in listed.values() if loc.parent_id == place.pk), None
            )
            said.append(gettext("available in %(place)s") % {"place": near.name if near else place.name})
    if answers.get("sector"):
        sector = next((s for s in programme.linked["sectors"] if s.slug == answers["sector"]), None)
        if sector is not None:
            said.append(gettext("for %(sector)s") % {"sector": _lower_first(sector.name)})
    if answers.get("need"):
        wanted = NEEDS[answers["need"]].types
        offered = [_lower_first(t.name) for t in programme.linked["types"] if t.slug in wanted]
        said.append(gettext("offers: %(types)s") % {"types": ", ".join(offered)})
    return said


def suggest(answers: dict) -> dict:
    """The suggestions for the answers (the search page's results: open first, then upcoming and
    dates not published, at most SUGGESTIONS in all), each with its reasons, and the link to the
    search page with the same filters."""
    query = search_query(answers)
    places = {place.slug: place for place in cached_terms(Location)}
    groups = []
    remaining = SUGGESTIONS
    total = 0
    for statuses, heading in (
        ((Status.OPEN,), _("Open now")),
        ((Status.UPCOMING, Status.UNKNOWN), _("Not open yet, or dates not published")),
    ):
        selection = search_page(_with_statuses(query, statuses)).selection()
        total += selection.counts.total
        programmes = selection.results[:remaining] if remaining else []
        remaining -= len(programmes)
        groups.append(
            {
                "heading": heading,
                "count": selection.counts.total,
                "items": [(programme, reasons(programme, answers, places)) for programme in programmes],
            }
        )
    search_url = reverse("programmes:list") + ("?" + query.urlencode() if query else "")
    return {
        "groups": groups,
        "total": total,
        "search_url": search_url,
        "need_note": NEEDS[answers["need"]].note if answers.get("need") else "",
        "search_query": query,
    }
