from django import forms

from apps.datasets.kind import DATASET
from apps.items.forms import ItemForm


class DatasetForm(ItemForm):
    kind = DATASET
    tier_help = "Who may see the description and who may download the files."
    field_order = ["title", "description", "steward_organisation"]

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["steward_organisation"].queryset = self.partners
        self.fields[
            "access_tier"
        ].help_text = "Who may see the description and who may download the files."


class DatasetRetireForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown in the audit log: why the dataset leaves the catalogue.",
    )
