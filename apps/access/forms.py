"""Forms for controlled access. They parse input; the services decide what is allowed."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_countries import countries

from apps.access import duo
from apps.access.services.request_base import FORM_FIELDS
from apps.accounts.models import User
from apps.datasets.models import DuoTerm
from apps.diseases.models import DiseaseArea
from apps.organisations.models import Affiliation, Organisation
from apps.projects.models import Partner, PartnerStatus, Project

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DISEASE_TYPE = "disease"
# The form's research types, one-to-one with the check's (ACCESS.md "research type" row): named
# diseases are the `diseases` field, every other choice is a Declaration flag of the same name.
RESEARCH_TYPE_CHOICES = [
    (DISEASE_TYPE, "Research on specific diseases (name them under “Diseases studied”)"),
    *((flag, label[:1].upper() + label[1:]) for flag, label in duo.RESEARCH_TYPES.items()),
]
SENSITIVE_TOPIC_CHOICES = [
    (flag, label[:1].upper() + label[1:]) for flag, label in duo.SENSITIVE_TOPICS.items()
]


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


class AccessRequestForm(forms.Form):
    """The request form. With `submitting`, it also checks what submission needs (a research
    type, every obligation accepted, an ethics reference where the dataset needs one), so a
    request that cannot be submitted is shown again with the errors at their fields and nothing
    is saved. A draft may be saved without them."""

    SUBMISSION_ONLY = ("research_types", "attestations", "ethics_reference")

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        empty_label=None,
        help_text="The organisation you request access through.",
    )
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text="What you will do with the data. Hidden from committee members of your own "
        "organisation.",
    )
    research_types = forms.MultipleChoiceField(
        choices=RESEARCH_TYPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Research type",
        help_text="Choose every type that applies; the automatic check reads exactly these.",
        error_messages={"required": "Choose at least one research type."},
    )
    diseases = forms.ModelMultipleChoiceField(
        queryset=DiseaseArea.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Diseases studied",
        help_text="Needed when your research is on specific diseases: every disease it is about.",
    )
    is_commercial = forms.TypedChoiceField(
        label="Use",
        choices=[("false", "Non-commercial research"), ("true", "Commercial use")],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        initial="false",
    )
    sensitive_topics = forms.MultipleChoiceField(
        choices=SENSITIVE_TOPIC_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Sensitive topics",
        help_text="Tick any your research involves; the committee looks at these requests.",
    )
    is_genetic_study = forms.BooleanField(required=False, label="This is a genetic study")
    location = forms.CharField(
        required=False, max_length=200, help_text="Where the data will be used (country)."
    )
    ethics_reference = forms.CharField(
        required=False, max_length=100, label="Ethics approval reference"
    )
    ethics_expires_on = forms.DateField(
        required=False, widget=DATE_INPUT, label="Ethics approval expires on"
    )
    requested_until = forms.DateField(
        required=False,
        widget=DATE_INPUT,
        label="Access needed until",
        help_text="The committee may choose an earlier end.",
    )
    attestations = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label="Obligations you accept",
        help_text="This dataset's conditions: accept every one to submit the request.",
        error_messages={"required": "Accept every obligation to submit the request."},
    )

    def __init__(self, *args, user, terms: dict, submitting: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms
        self.submitting = submitting
        self.fields["organisation"].queryset = Organisation.objects.filter(
            pk__in=Affiliation.objects.active().filter(user=user).values("organisation_id")
        )
        wanted = [t for t in duo.ATTESTATIONS if t in terms]
        self.fields["attestations"].choices = [
            (t, duo.obligation_text(t, terms.get(t))) for t in wanted
        ]
        if not wanted:
            del self.fields["attestations"]
        else:
            self.fields["attestations"].error_messages["required"] = self._not_accepted(wanted)
        if "IRB" in terms:
            self.fields["ethics_reference"].required = True
            self.fields["ethics_reference"].help_text = "This dataset needs ethics approval."

    @staticmethod
    def initial_from(access_request) -> dict:
        """The form's initial values for a saved request."""
        initial = {name: getattr(access_request, name) for name in FORM_FIELDS}
        diseases = list(access_request.diseases.all())
        types = [flag for flag in duo.RESEARCH_TYPES if getattr(access_request, flag)]
        initial.update(
            organisation=access_request.organisation_id,
            diseases=diseases,
            research_types=([DISEASE_TYPE] if diseases else []) + types,
            sensitive_topics=[f for f in duo.SENSITIVE_TOPICS if getattr(access_request, f)],
            is_commercial="true" if access_request.is_commercial else "false",
        )
        return initial

    def full_clean(self):
        # Required marks stay on the page; only saving a draft relaxes them.
        if not self.submitting:
            for name in self.SUBMISSION_ONLY:
                if name in self.fields:
                    self.fields[name].required = False
        super().full_clean()

    def clean_attestations(self):
        accepted = self.cleaned_data.get("attestations") or []
        missing = [t for t, _ in self.fields["attestations"].choices if t not in accepted]
        if self.submitting and missing:
            raise ValidationError(self._not_accepted(missing))
        return accepted

    def _not_accepted(self, terms) -> str:
        return "Accept every obligation to submit the request. Not accepted: " + " ".join(
            duo.obligation_text(t, self.terms.get(t)) for t in terms
        )

    def clean_ethics_expires_on(self):
        value = self.cleaned_data.get("ethics_expires_on")
        if value and value <= timezone.localdate():
            raise ValidationError("This ethics approval has expired.")
        return value

    def clean_requested_until(self):
        value = self.cleaned_data.get("requested_until")
        if value and value <= timezone.localdate():
            raise ValidationError("Choose a date in the future.")
        return value

    def clean(self):
        cleaned = super().clean()
        types = set(cleaned.get("research_types") or ())
        diseases = cleaned.get("diseases")
        if DISEASE_TYPE in types and not diseases and not self.has_error("diseases"):
            self.add_error("diseases", "Name the diseases your research is about.")
        if diseases and DISEASE_TYPE not in types and not self.has_error("research_types"):
            self.add_error(
                "research_types",
                "You named diseases: tick “Research on specific diseases”, or clear them.",
            )
        return cleaned

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("organisation")
        types = set(data.pop("research_types", None) or ())
        topics = set(data.pop("sensitive_topics", None) or ())
        for flag in duo.RESEARCH_TYPES:
            data[flag] = flag in types
        for flag in duo.SENSITIVE_TOPICS:
            data[flag] = flag in topics
        data.setdefault("attestations", [])
        return data


class DecisionForm(forms.Form):
    APPROVE, REJECT, RETURN = "approve", "reject", "return"
    decision = forms.ChoiceField(
        choices=[
            (APPROVE, "Approve"),
            (RETURN, "Return to the requester for changes"),
            (REJECT, "Reject"),
        ],
        widget=forms.RadioSelect,
    )
    approved_until = forms.DateField(
        required=False,
        widget=DATE_INPUT,
        label="Access ends on",
        help_text="Optional. Earlier limits (time limit, ethics expiry, project end, 12 months) "
        "still apply.",
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Required to reject or return; the requester sees it.",
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") in (self.REJECT, self.RETURN)
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", "Give a reason to reject or return the request.")
        return cleaned


class StewardDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("true", "Approve"), ("false", "Reject")],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        label="The steward organisation's decision",
    )
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("approve") is False and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give a reason to reject the request.")
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class GrantActionForm(forms.Form):
    REVOKE, SUSPEND, REINSTATE = "revoke", "suspend", "reinstate"
    action = forms.ChoiceField(
        choices=[(REVOKE, "Revoke"), (SUSPEND, "Suspend"), (REINSTATE, "Reinstate")],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("action") in (self.REVOKE, self.SUSPEND)
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", "Give a reason.")
        return cleaned


class CommitteeForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Leave blank for the default.")


class CommitteeMemberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Person")
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    is_chair = forms.BooleanField(required=False, label="Chair the committee")

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        partners = Partner.objects.filter(project=project, status=PartnerStatus.ACTIVE)
        org_ids = partners.values("organisation_id")
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=org_ids)
        people = Affiliation.objects.active().filter(organisation_id__in=org_ids)
        self.fields["user"].queryset = User.objects.filter(
            pk__in=people.values("user_id"), is_active=True
        ).order_by("last_name", "first_name")


# --- Data-use policy ------------------------------------------------------------------------
def _term_choices(kind: str):
    return [
        (t.shorthand, f"{t.shorthand} — {t.label}")
        for t in DuoTerm.objects.filter(kind=kind).order_by("shorthand")
    ]


class DataUsePolicyForm(forms.Form):
    """One permission, modifiers, and a field for each modifier's typed value."""

    permission = forms.ChoiceField(widget=forms.RadioSelect, label="Data-use permission")
    diseases = forms.ModelMultipleChoiceField(
        queryset=DiseaseArea.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Disease areas (DS)",
        help_text="For disease-specific research: areas whose descendants also count.",
    )
    modifiers = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False, label="Modifiers"
    )
    gs_countries = forms.MultipleChoiceField(
        choices=list(countries),
        required=False,
        label="Countries (GS)",
        help_text="Hold Ctrl (or Cmd) to choose several.",
    )
    mor_date = forms.DateField(
        required=False, widget=DATE_INPUT, label="No publication before (MOR)"
    )
    ts_months = forms.IntegerField(
        required=False, min_value=1, max_value=120, label="Time limit in months (TS)"
    )
    us_users = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Named users (US)",
        help_text="People of the partner organisations. Hold Ctrl (or Cmd) to choose several.",
    )
    ps_project = forms.ModelChoiceField(
        queryset=None, required=False, label="Project (PS)", empty_label="Choose…"
    )
    is_organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Institutions (IS)",
        help_text="Hold Ctrl (or Cmd) to choose several.",
    )
    col_investigators = forms.CharField(
        required=False, max_length=500, label="Named investigators (COL)"
    )
    rs_topic = forms.CharField(required=False, max_length=500, label="Research topic (RS)")

    VALUE_FIELDS = {
        "GS": "gs_countries",
        "MOR": "mor_date",
        "TS": "ts_months",
        "US": "us_users",
        "PS": "ps_project",
        "IS": "is_organisations",
        "COL": "col_investigators",
        "RS": "rs_topic",
    }

    def __init__(self, *args, dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permission"].choices = _term_choices(DuoTerm.Kind.PERMISSION)
        self.fields["modifiers"].choices = _term_choices(DuoTerm.Kind.MODIFIER)
        partner_orgs = Partner.objects.filter(
            project=dataset.project, status=PartnerStatus.ACTIVE
        ).values("organisation_id")  # a subquery: the people the editor may name
        self.fields["is_organisations"].queryset = Organisation.objects.approved()
        self.fields["us_users"].queryset = User.objects.filter(
            pk__in=Affiliation.objects.active()
            .filter(organisation_id__in=partner_orgs)
            .values("user_id")
        ).order_by("last_name")
        self.fields["ps_project"].queryset = Project.objects.system(
            "the dataset's own project, which its editor sees"
        ).filter(pk=dataset.project_id)

    def clean(self):
        cleaned = super().clean()
        chosen = set(cleaned.get("modifiers") or [])
        for shorthand, name in self.VALUE_FIELDS.items():
            value = cleaned.get(name)
            if shorthand in chosen and value in (None, "", []) and not self.has_error(name):
                self.add_error(name, f"{shorthand} needs a value.")
        if cleaned.get("permission") == "DS" and not cleaned.get("diseases"):
            self.add_error("diseases", "Choose the disease areas for DS.")
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        modifiers = {}
        for shorthand in data.get("modifiers") or []:
            name = self.VALUE_FIELDS.get(shorthand)
            value = data.get(name) if name else None
            if hasattr(value, "all"):
                value = [str(row.pk) for row in value]
            elif hasattr(value, "pk"):
                value = str(value.pk)
            modifiers[shorthand] = value
        permission_value = None
        if data["permission"] == "DS":
            permission_value = [str(area.pk) for area in data["diseases"]]
        return {
            "permission": data["permission"],
            "permission_value": permission_value,
            "modifiers": modifiers,
        }

    @staticmethod
    def initial_from_terms(terms: dict) -> dict:
        initial: dict = {"modifiers": []}
        for shorthand, value in terms.items():
            if shorthand in duo.PERMISSIONS:
                initial["permission"] = shorthand
                if shorthand == "DS":
                    initial["diseases"] = value
                continue
            initial["modifiers"].append(shorthand)
            name = DataUsePolicyForm.VALUE_FIELDS.get(shorthand)
            if name:
                initial[name] = value
        return initial
