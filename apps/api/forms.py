from django import forms
from django.core.exceptions import ValidationError

from apps.accounts.models import ApiToken
from apps.api.tokens import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS
from apps.api.webhooks import validate_endpoint_url


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Where the token is used, e.g. “LIMS nightly sync”.",
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.READ],
        help_text="Read allows looking things up; write allows changes too.",
    )
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        initial=DEFAULT_EXPIRY_DAYS,
        help_text=f"At most {MAX_EXPIRY_DAYS} days (one year).",
    )


class WebhookForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, empty_label=None)
    url = forms.URLField(
        label="Receiver URL",
        max_length=500,
        assume_scheme="https",
        help_text="An https:// address.",
    )
    description = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            return validate_endpoint_url(url)
        except ValidationError as error:
            raise ValidationError(error.message_dict.get("url", error.messages)) from None
