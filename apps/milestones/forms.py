from django import forms
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model

from apps.access.policy import visible
from apps.core.guard import system_reads
from apps.core.kinds import evidence_parts
from apps.datasets.models import Dataset
from apps.documents.models import Protocol, ProtocolVersion
from apps.milestones.models import Deliverable, Milestone, MilestoneStatus
from apps.milestones.services import MILESTONE_TRANSITIONS
from apps.organisations.models import Organisation
from apps.projects.models import Membership, PartnerStatus, WorkPackage

EVIDENCE_FIELDS = [part.evidence for part in evidence_parts()]


def evidence_choices(user, project) -> dict:
    """{evidence field: the rows of the project `user` may see and cite}."""
    choices = {}
    for part in evidence_parts():
        rows = django_apps.get_model(part.model).objects.filter(**{part.project_path: project})
        if part.parent_fk:
            rows = rows.select_related(part.parent_fk.removesuffix("_id"))
        choices[part.evidence] = visible(user, rows)
    return choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _members(project):
    ids = Membership.objects.current().filter(project=project).values("user_id")
    return get_user_model().objects.filter(pk__in=ids).order_by("last_name", "first_name")


def _partners(project):
    return Organisation.objects.filter(
        partnerships__project=project, partnerships__status=PartnerStatus.ACTIVE
    ).order_by("name")


class ProjectScopedForm(forms.ModelForm):
    """Choices limited to the project's own work packages, partners, members and items the
    person may see; the services check the same again."""

    def __init__(self, *args, project, user, **kwargs):
        # Django reads the instance's linked rows for the initial values; they are shown only
        # as choices of the visible querysets below, so a hidden link never renders.
        with system_reads("a form's initial values, rendered only through visible choices"):
            super().__init__(*args, **kwargs)
        self.project = project
        scoped = {
            "work_package": visible(user, WorkPackage.objects.filter(project=project)),
            "owner_organisation": _partners(project),
            "lead_organisation": _partners(project),
            "owner": _members(project),
            "author": _members(project),
            "reviewer": _members(project),
            "approver": _members(project),
            "protocols": visible(user, Protocol.objects.filter(project=project)),
            "datasets": visible(user, Dataset.objects.filter(project=project)),
            "protocol_versions": visible(
                user, ProtocolVersion.objects.filter(protocol__project=project)
            ).select_related("protocol"),
        }
        scoped.update(evidence_choices(user, project))
        for name, queryset in scoped.items():
            if name in self.fields:
                self.fields[name].queryset = queryset


class MilestoneForm(ProjectScopedForm):
    class Meta:
        model = Milestone
        fields = [
            "title",
            "description",
            "due_date",
            "work_package",
            "owner_organisation",
            "owner",
            "protocols",
            "datasets",
        ]
        widgets = {
            "due_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "protocols": forms.CheckboxSelectMultiple(),
            "datasets": forms.CheckboxSelectMultiple(),
        }
        help_texts = {"due_date": "Later changes of date are deferrals, kept in the history."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            # Dates move only by deferral, so that the history keeps them.
            del self.fields["due_date"]


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label="New status")
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What happened; required when the milestone was missed.",
    )

    def __init__(self, *args, milestone: Milestone, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = MILESTONE_TRANSITIONS.get(milestone.status, ())
        self.fields["to_status"].choices = [(s, MilestoneStatus(s).label) for s in allowed]


class DeferForm(forms.Form):
    new_due_date = forms.DateField(label="New due date", widget=DateInput())
    note = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))


class DeliverableForm(ProjectScopedForm):
    class Meta:
        model = Deliverable
        fields = [
            "code",
            "title",
            "summary",
            "work_package",
            "lead_organisation",
            "due_date",
            "due_month",
            "dissemination",
            "author",
            "reviewer",
            "approver",
            # The evidence picker: every shared kind's citable part, as declared.
            *EVIDENCE_FIELDS,
        ]
        widgets = {
            "due_date": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 4}),
            **{name: forms.CheckboxSelectMultiple() for name in EVIDENCE_FIELDS},
        }
        help_texts = {
            "summary": "Public deliverables show this summary in the public catalogue once approved.",
            "approver": "Cannot be the author.",
        }

    def clean(self):
        cleaned = super().clean()
        author, approver = cleaned.get("author"), cleaned.get("approver")
        if author and approver and author == approver:
            self.add_error("approver", "The approver cannot be the deliverable's author.")
        if not cleaned.get("due_date") and not cleaned.get("due_month"):
            self.add_error("due_date", "Give a due date or a project month.")
        return cleaned

    def validate_unique(self):
        # `project` is not a form field, so check the code's uniqueness in the project here.
        code = self.cleaned_data.get("code")
        # Codes are unique per project whether or not this person sees the clashing row.
        clash = Deliverable.objects.filter(project=self.project, code__iexact=code or "").system(
            "the deliverable form checks the code is unused in the project"
        )
        if not self.instance._state.adding:
            clash = clash.exclude(pk=self.instance.pk)
        if code and clash.exists():
            self.add_error("code", f"{code} is already used in this project.")


class ReturnForm(forms.Form):
    reason = forms.CharField(label="What needs to change", widget=forms.Textarea(attrs={"rows": 2}))
