"""The public forms: report a problem with a programme page, suggest a programme, subscribe to
alerts and reminders (the search itself is filters.py)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from . import spam
from .choices import AlertFrequency
from .filters import normalised_query
from .models import Alert


class PublicForm(forms.Form):
    """A visitor's form with the spam trap and the signed render time (see spam.py)."""

    # Hidden from sight by CSS and skipped by the keyboard; screen readers hear the label.
    homepage = forms.CharField(
        label=_("Leave this field empty (it is a trap for spam robots)"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    issued = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A fresh render time every time the form is shown, including after an error.
        self.initial[spam.TIMESTAMP_FIELD] = spam.issue_token()
        if self.is_bound:
            data = self.data.copy()
            data[spam.TIMESTAMP_FIELD] = self.initial[spam.TIMESTAMP_FIELD]
            self.data = data

    def public_fields(self):
        return [field for field in self if field.name not in {spam.HONEYPOT, spam.TIMESTAMP_FIELD}]


class WebAddressField(forms.URLField):
    """A web page's address: http or https only (no ftp:, javascript: or other schemes)."""

    default_validators = [URLValidator(schemes=["http", "https"])]


_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_ASCII_DOMAIN = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
INVALID_EMAIL = _("Enter a valid email address, such as name@example.kz.")


def validate_sendable_email(value: str) -> None:
    """An address the mail layer can send to unchanged: a plain ASCII local part, and a domain
    that IDNA encodes to letters, digits and hyphens and decodes back to what was typed.

    Django's EmailValidator accepts more (quoted local parts with control characters, any
    character above U+00A1 in a domain): "x@ex\u2028ample.com" passes it and then either fails
    in sending or, worse, is silently sent to "example.com" by IDNA's mapping.
    """
    local, _at, domain = value.rpartition("@")
    if not _LOCAL_PART.fullmatch(local) or len(local) > 64:
        raise ValidationError(INVALID_EMAIL, code="invalid")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
        unchanged = ascii_domain.encode("ascii").decode("idna").lower() == domain.lower()
    except UnicodeError:
        raise ValidationError(INVALID_EMAIL, code="invalid") from None
    if not unchanged or not _ASCII_DOMAIN.fullmatch(ascii_domain.lower()):
        raise ValidationError(INVALID_EMAIL, code="invalid")


class SendableEmailField(forms.EmailField):
    """An email address we can write to (validate_sendable_email), with the field's own message."""

    def run_validators(self, value):
        super().run_validators(value)
        if value not in self.empty_values:
            try:
                validate_sendable_email(value)
            except ValidationError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None


EMAIL_HELP = _("Only if we may write to you about it. Never shown on the site.")


class ProblemReportForm(PublicForm):
    message = forms.CharField(
        label=_("What is wrong or out of date?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("For example: the deadline has moved, the link no longer works, the amount has changed."),
    )
    email = SendableEmailField(label=_("Your email (optional)"), required=False, help_text=EMAIL_HELP)

    field_order = ["message", "email"]


class SuggestionForm(PublicForm):
    name = forms.CharField(label=_("Name of the programme"), max_length=250)
    organisation = forms.CharField(label=_("Organisation that runs it"), max_length=200)
    website = WebAddressField(
        label=_("Web address where it is described"),
        max_length=500,
        help_text=_("For example: https://example.kz/grants"),
    )
    offers = forms.CharField(
        label=_("What it offers"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Who can apply, what support or how much money, deadlines: whatever you know."),
    )
    email = SendableEmailField(label=_("Your email (optional)"), required=False, help_text=EMAIL_HELP)

    field_order = ["name", "organisation", "website", "offers", "email"]


class ReminderForm(forms.Form):
    email = SendableEmailField(
        label=_("Your email address"),
        max_length=254,
        # Django has no Kazakh wording for these; ours are in all three languages.
        error_messages={
            "required": _("Enter your email address."),
            "invalid": INVALID_EMAIL,
        },
    )


class AlertForm(ReminderForm):
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=AlertFrequency.choices,
        initial=AlertFrequency.WEEKLY,
        widget=forms.RadioSelect,
    )
    # The search page's query string; stored in its canonical form.
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=4000)

    def clean_query(self):
        query = normalised_query(QueryDict(self.cleaned_data.get("query") or ""))
        if len(query) > Alert._meta.get_field("query").max_length:
            raise forms.ValidationError(_("This search is too long to save. Remove some of its settings."))
        return query
