from django import forms

from apps.analyses.kind import ANALYSIS
from apps.analyses.models import AnalysisCategory
from apps.items.forms import ItemForm


class AnalysisForm(ItemForm):
    kind = ANALYSIS
    field_order = ["title", "description", "category"]

    category = forms.ChoiceField(choices=AnalysisCategory.choices)


class VersionUploadForm(forms.Form):
    file = forms.FileField(help_text="Code, notebook, pipeline or report; its SHA-256 is kept.")
    change_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    datasets = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Datasets used"
    )
    protocol_versions = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Protocol versions followed",
    )

    def __init__(self, *args, datasets, protocol_versions, **kwargs):
        """`datasets`, `protocol_versions`: the inputs the author may see (`citable_inputs`)."""
        super().__init__(*args, **kwargs)
        self.fields["datasets"].queryset = datasets
        self.fields["protocol_versions"].queryset = protocol_versions


class AnalysisCreateForm(AnalysisForm, VersionUploadForm):
    """The analysis and its first (draft) version in one step (as a protocol's: the item's
    fields first)."""

    field_order = [*AnalysisForm.field_order, "access_tier", "allowed_organisations", "file"]
