from django import forms

from apps.access.tiers import project_partner_organisations, tier_choices
from apps.analyses.kind import ANALYSIS
from apps.analyses.models import AnalysisCategory


class AnalysisForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    category = forms.ChoiceField(choices=AnalysisCategory.choices)
    access_tier = forms.ChoiceField(choices=tier_choices(ANALYSIS), label="Access tier")
    allowed_organisations = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only for the named-organisations tier: whose members may download.",
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allowed_organisations"].queryset = project_partner_organisations(project)


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
    def __init__(self, *args, project, datasets, protocol_versions, **kwargs):
        forms.Form.__init__(self, *args, **kwargs)
        self.fields["allowed_organisations"].queryset = project_partner_organisations(project)
        self.fields["datasets"].queryset = datasets
        self.fields["protocol_versions"].queryset = protocol_versions
