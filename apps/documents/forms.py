from django import forms

from apps.documents.kind import PROTOCOL
from apps.items.forms import ItemForm, UploadForm, configure_upload_field

CHANGE_NOTE_HELP = "What changed and why; shown in the version history and the comparison."


class ProtocolForm(ItemForm):
    kind = PROTOCOL
    tier_help = (
        "Who may see the protocol and download its versions. Controlled access is offered "
        "for datasets only."
    )


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
