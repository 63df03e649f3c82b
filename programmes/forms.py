"""Public forms: subscribing to alerts and reminders (the search itself is filters.py)."""

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .choices import AlertFrequency
from .filters import normalised_query
from .models import Alert


class ReminderForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        # Django has no Kazakh wording for these; ours are in all three languages.
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter a valid email address, such as name@example.kz."),
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
