from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from apps.access.tiers import project_partner_organisations, tier_choices
from apps.core.models import AccessTier
from apps.core.uploads import ACCEPTED_FORMATS_TEXT, inspect_upload, upload_limit_text
from apps.datasets.kind import DATASET


class DatasetForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="What the data are, how they were collected, and what they can be used for.",
    )
    steward_organisation = forms.ModelChoiceField(
        queryset=None,
        help_text="The partner organisation responsible for the data.",
        empty_label="Choose an organisation",
    )
    access_tier = forms.ChoiceField(
        choices=tier_choices(DATASET),
        initial=AccessTier.CONSORTIUM,
        help_text="Who may see the description and who may download the files.",
    )
    allowed_organisations = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Named organisations",
        help_text="Only for the named-organisations tier: whose members may download.",
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        partners = project_partner_organisations(project)
        self.fields["steward_organisation"].queryset = partners
        self.fields["allowed_organisations"].queryset = partners


class DatasetRetireForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown in the audit log: why the dataset leaves the catalogue.",
    )


def configure_upload_field(field: forms.FileField) -> None:
    """Help text with the limit and formats, and the limit for the progress script's check."""
    field.help_text = f"Up to {upload_limit_text()}. Accepted formats: {ACCEPTED_FORMATS_TEXT}."
    field.widget.attrs["data-upload-max-bytes"] = str(settings.STRATUM_UPLOAD_MAX_BYTES)


class UploadForm(forms.Form):
    """One file; the content is checked here (name, size, type) and again by the service."""

    file = forms.FileField(label="File")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        configure_upload_field(self.fields["file"])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.inspected = inspect_upload(upload)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return upload


def with_upload_refusal(form, message: str):
    """`form` validated as far as its other fields go, with the refusal as the file's error
    (the file itself never arrived)."""
    form.full_clean()
    form.errors["file"] = form.error_class([message])
    form.cleaned_data.pop("file", None)
    return form
