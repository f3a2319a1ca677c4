from django import forms

from apps.access.policy import Action, visible
from apps.audit.words import object_type_choices
from apps.projects.models import Project

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        required=False, max_length=80, help_text="Starts with, e.g. request. or grant.revoke"
    )
    actor = forms.CharField(required=False, max_length=200, label="Actor e-mail contains")
    target_type = forms.ChoiceField(required=False, label="Object type")
    target_id = forms.CharField(required=False, max_length=64, label="Target id")
    project = forms.ModelChoiceField(queryset=Project.objects.none(), required=False)
    date_from = forms.DateField(required=False, widget=DATE_INPUT, label="From")
    date_to = forms.DateField(required=False, widget=DATE_INPUT, label="To")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_type"].choices = [("", "Any type"), *object_type_choices()]
        self.fields["project"].queryset = visible(
            user, Project.objects.order_by("acronym"), Action.VIEW_DETAILS
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned
