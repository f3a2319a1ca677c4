from django import forms

from apps.access.tiers import project_partner_organisations, tier_choices
from apps.core.models import AccessTier
from apps.datasets.forms import UploadForm, configure_upload_field
from apps.documents.kind import PROTOCOL

CHANGE_NOTE_HELP = "What changed and why; shown in the version history and the comparison."


class ProtocolForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    access_tier = forms.ChoiceField(
        choices=tier_choices(PROTOCOL),
        initial=AccessTier.CONSORTIUM,
        help_text="Who may see the protocol and download its versions. Controlled access is "
        "offered for datasets only.",
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
        self.fields["allowed_organisations"].queryset = project_partner_organisations(project)


class VersionUploadForm(UploadForm):
    change_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text=CHANGE_NOTE_HELP
    )
    field_order = ["file", "change_note"]


class ProtocolCreateForm(ProtocolForm):
    """The protocol and its first (draft) version in one step."""

    file = VersionUploadForm.base_fields["file"]
    change_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="First version.",
        help_text=CHANGE_NOTE_HELP,
    )
    clean_file = UploadForm.clean_file

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        configure_upload_field(self.fields["file"])
        self.fields["file"].label = "First version's file"


class VersionEditForm(forms.Form):
    change_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text=CHANGE_NOTE_HELP
    )


class VersionCompareForm(forms.Form):
    older = forms.TypedChoiceField(coerce=int, label="Compare version")
    newer = forms.TypedChoiceField(coerce=int, label="with version")

    def __init__(self, *args, numbers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(number, f"Version {number}") for number in numbers]
        self.fields["older"].choices = choices
        self.fields["newer"].choices = choices

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("older") is not None and cleaned.get("older") == cleaned.get("newer"):
            raise forms.ValidationError("Choose two different versions.")
        return cleaned
