from django import forms

from apps.accounts.models import TIME_ZONE_CHOICES, User
from apps.accounts.validators import validate_orcid
from apps.core.widgets import LongSelect

# What people paste from their ORCID record page; the iD itself is what we keep.
ORCID_URL_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/")


GIVEN_NAME_LABEL = "Given name"
FAMILY_NAME_LABEL = "Family name"


class OrcidField(forms.CharField):
    """An optional ORCID iD as people paste it: bare, or as their orcid.org link.

    Longer than the stored 19 characters so a pasted https://orcid.org/… link can be trimmed
    before the format and check-digit validation runs.
    """

    default_validators = [validate_orcid]

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "ORCID iD (optional)")
        kwargs.setdefault("help_text", "Your 16-character ORCID iD, like 0000-0002-1825-0097.")
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"})
        )
        super().__init__(max_length=64, required=False, **kwargs)

    def to_python(self, value) -> str:
        value = super().to_python(value).strip()
        for prefix in ORCID_URL_PREFIXES:
            if value.lower().startswith(prefix):
                value = value[len(prefix) :]
        return value.upper()


def _name_field(label: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": autocomplete}),
    )


class SignupExtraForm(forms.Form):
    """What allauth's sign-up asks besides e-mail and password (ACCOUNT_SIGNUP_FORM_CLASS).

    Names are how colleagues, committees and audit trails recognise a person, so sign-up asks
    for them; allauth's adapter stores first_name/last_name, ours the ORCID iD.
    """

    first_name = _name_field(GIVEN_NAME_LABEL, "given-name")
    last_name = _name_field(FAMILY_NAME_LABEL, "family-name")
    orcid = OrcidField()

    field_order = ["first_name", "last_name", "email", "password1", "password2", "orcid"]

    def signup(self, request, user) -> None:
        """allauth's hook after the user is saved; the adapter already stored everything."""


class ProfileForm(forms.ModelForm):
    orcid = OrcidField()

    class Meta:
        model = User
        fields = ["first_name", "last_name", "job_title", "orcid", "time_zone"]
        labels = {
            "first_name": GIVEN_NAME_LABEL,
            "last_name": FAMILY_NAME_LABEL,
            "job_title": "Job title",
            "time_zone": "Time zone",
        }
        help_texts = {
            "time_zone": "Dates and times are shown in this zone.",
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "time_zone": LongSelect(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Names are how colleagues, committees and audit trails recognise a person.
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        self.fields["time_zone"].choices = [
            ("", "Europe/London (the portal's default)"),
            *TIME_ZONE_CHOICES,
        ]
