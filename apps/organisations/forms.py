from django import forms
from django.core.exceptions import ValidationError
from django_countries import countries

from apps.organisations.models import (
    AffiliationRole,
    Organisation,
    OrganisationKind,
)
from apps.organisations.services.imports import DOMAIN_SPLIT
from apps.organisations.validators import (
    normalise_domain,
    normalise_ror,
    validate_claimable_domain,
    validate_ror,
)

IMPORT_MAX_BYTES = 5 * 1024 * 1024


def country_choices(blank_label: str = "Choose a country") -> list[tuple[str, str]]:
    return [("", blank_label), *((code, name) for code, name in countries)]


def _domain_list(value: str) -> list[str]:
    domains = [normalise_domain(raw) for raw in DOMAIN_SPLIT.split(value or "") if raw]
    errors = []
    for domain in domains:
        try:
            validate_claimable_domain(domain)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return list(dict.fromkeys(domains))


class RorField(forms.CharField):
    """Accepts 02jx3x895 or https://ror.org/02jx3x895; cleans to the bare ID."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "ROR ID")
        kwargs.setdefault("help_text", "From ror.org, like 02jx3x895 for UCL.")
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        validate_ror(value)
        return normalise_ror(value)


class OrganisationProposeForm(forms.Form):
    name = forms.CharField(max_length=200, label="Organisation name")
    kind = forms.ChoiceField(
        choices=[("", "Choose a kind"), *OrganisationKind.choices], label="Kind of organisation"
    )
    country = forms.ChoiceField(choices=country_choices)
    website = forms.URLField(required=False, assume_scheme="https")
    ror_id = RorField()
    ods_code = forms.CharField(
        required=False,
        max_length=10,
        label="NHS ODS code",
        help_text="For NHS organisations, like RRV for University College London Hospitals.",
    )
    domains = forms.CharField(
        required=False,
        label="E-mail domains",
        help_text="People who verify an address at these domains join automatically once "
        "approved. Separate several with spaces, e.g. example.ac.uk med.example.ac.uk.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if Organisation.objects.filter(name__iexact=name).exists():
            raise ValidationError(
                "An organisation with this name already exists: search the directory and "
                "ask to join it instead."
            )
        return name

    def clean_ror_id(self):
        ror = self.cleaned_data["ror_id"]
        if ror and Organisation.objects.filter(ror_id=ror).exists():
            raise ValidationError("An organisation with this ROR ID is already registered.")
        return ror

    def clean_ods_code(self):
        return self.cleaned_data["ods_code"].strip().upper()

    def clean_domains(self):
        domains = _domain_list(self.cleaned_data["domains"])
        taken = set(
            Organisation.objects.filter(domains__domain__in=domains).values_list(
                "domains__domain", flat=True
            )
        )
        if taken:
            raise ValidationError(
                f"Already claimed by another organisation: {', '.join(sorted(taken))}."
            )
        return domains


class OrganisationProfileForm(forms.ModelForm):
    ror_id = RorField()
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "country",
            "website",
            "description",
            "ror_id",
            "ods_code",
            "logo",
            "dspt_status",
            "dspt_date",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "dspt_date": forms.DateInput(attrs={"type": "date"}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        }
        help_texts = {
            "dspt_status": "NHS Data Security and Protection Toolkit, for organisations holding "
            "health data.",
        }

    def clean_ods_code(self):
        return (self.cleaned_data.get("ods_code") or "").strip().upper()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("dspt_status") and not cleaned.get("dspt_date"):
            self.add_error("dspt_date", "Give the date of the DSPT assessment.")
        if cleaned.get("dspt_date") and not cleaned.get("dspt_status"):
            self.add_error("dspt_status", "Choose the DSPT status for this assessment date.")
        return cleaned


class DomainForm(forms.Form):
    domain = forms.CharField(
        max_length=253, label="E-mail domain", help_text="Like example.ac.uk, without the @."
    )

    def clean_domain(self):
        domain = normalise_domain(self.cleaned_data["domain"])
        validate_claimable_domain(domain)
        if Organisation.objects.filter(domains__domain=domain).exists():
            raise ValidationError(f"{domain} is already claimed by an organisation.")
        return domain


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(
        choices=[
            (AffiliationRole.MEMBER, "Member"),
            (AffiliationRole.ADMIN, "Organisation admin: manages members, invitations, profile"),
        ],
        initial=AffiliationRole.MEMBER,
        widget=forms.RadioSelect,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the audit log and shown to the organisation's admins.",
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the audit log.",
    )


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Message to the organisation's admins",
        help_text="Say who you are and what you work on, so they can recognise you.",
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: name, kind, country, ror_id, domains (space- or "
        "semicolon-separated). UTF-8, at most 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label="Only check the file (dry run)",
        help_text="Untick to import. Nothing is imported while any row is bad.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError("The file is larger than 5 MB; split it.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError("The file is not UTF-8 text; save it as CSV UTF-8.") from error
