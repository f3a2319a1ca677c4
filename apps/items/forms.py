"""Forms every shared kind has: an item's metadata and tier, and a file upload."""

from typing import ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from apps.access.tiers import project_partner_organisations, tier_choices
from apps.core.kinds import SharedKind
from apps.core.models import AccessTier
from apps.core.uploads import ACCEPTED_FORMATS_TEXT, inspect_upload, upload_limit_text


class ItemForm(forms.Form):
    """An item's title, description and tier; `kind` says which tiers it may take, and the
    named organisations are the project's partners (the same set the service accepts)."""

    kind: ClassVar[SharedKind]
    tier_help: ClassVar[str] = ""

    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    access_tier = forms.ChoiceField(choices=(), initial=AccessTier.CONSORTIUM)
    allowed_organisations = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Named organisations",
        help_text="Only for the named-organisations tier: whose members may download.",
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["access_tier"].choices = tier_choices(self.kind)
        self.fields["access_tier"].help_text = self.tier_help
        self.partners = project_partner_organisations(project)
        self.fields["allowed_organisations"].queryset = self.partners

    @classmethod
    def initial_for(cls, item) -> dict:
        """The form's fields as `item` has them (its edit page)."""
        fields = [name for name in cls.base_fields if name != "allowed_organisations"]
        initial = {name: getattr(item, name) for name in fields}
        return {**initial, "allowed_organisations": list(item.allowed_organisations.all())}


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
