from django import forms

from apps.accounts.models import TIME_ZONE_CHOICES, User

# What people paste from their ORCID record page; the iD itself is what we keep.
ORCID_URL_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/")


class ProfileForm(forms.ModelForm):
    # Longer than the stored 19 characters so a pasted https://orcid.org/… link can be
    # trimmed in clean_orcid before the model's own validation (format, check digit) runs.
    orcid = forms.CharField(
        label="ORCID iD",
        max_length=64,
        required=False,
        help_text="Your 16-character ORCID iD, like 0000-0002-1825-0097.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "job_title", "orcid", "time_zone"]
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
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

    def clean_orcid(self) -> str:
        value = self.cleaned_data["orcid"].strip()
        for prefix in ORCID_URL_PREFIXES:
            if value.lower().startswith(prefix):
                value = value[len(prefix) :]
        return value.upper()
