"""Forms parse and check input shape; the services enforce the domain rules."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from apps.diseases.models import DiseaseArea
from apps.diseases.selectors import disease_area_tree
from apps.organisations.models import Organisation, OrganisationKind, OrganisationStatus
from apps.projects.filter_cache import MAX_TEXT, text_replaces_choice
from apps.projects.models import (
    ACRONYM_UNIQUE,
    Biomarker,
    MembershipRole,
    PartnerRole,
    Project,
    ProjectStatus,
    SummaryVisibility,
)
from apps.projects.selectors import SORTS

CATALOGUE_STATUSES = ("active", "completed", "archived")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class DiseaseAreaChoiceField(forms.ModelMultipleChoiceField):
    """Disease areas as an indented tree (parents before children)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=DiseaseArea.objects.all(), **kwargs)
        self.widget.attrs.setdefault("size", 10)

    def _set_tree_choices(self):
        self.choices = [
            (area.pk, f"{'— ' * depth}{area.name}") for area, depth in disease_area_tree()
        ]


class ProjectFieldsForm(forms.Form):
    title = forms.CharField(max_length=300)
    acronym = forms.CharField(
        max_length=40, help_text="Unique in the portal, e.g. RESPIRE; used in the web address."
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    disease_areas = DiseaseAreaChoiceField(
        help_text="Hold Ctrl (or ⌘) to choose several; a parent area includes its sub-areas."
    )
    start_date = forms.DateField(required=False, widget=DATE_WIDGET)
    end_date = forms.DateField(required=False, widget=DATE_WIDGET)
    summary_visibility = forms.ChoiceField(
        label="Who may read the summary",
        choices=SummaryVisibility.choices,
        widget=forms.RadioSelect,
        help_text="Members-only projects show everyone else only their title, acronym, status, "
        "disease areas and lead organisation.",
    )
    rec_reference = forms.CharField(label="REC reference", max_length=40, required=False)
    iras_id = forms.CharField(label="IRAS ID", max_length=20, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["disease_areas"]._set_tree_choices()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must not be before the start date.")
        return cleaned

    def clean_acronym(self):
        acronym = self.cleaned_data["acronym"].strip()
        clash = Project.objects.system(ACRONYM_UNIQUE).filter(acronym__iexact=acronym)
        if getattr(self, "instance", None) is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(f"Another project already uses the acronym “{acronym}”.")
        return acronym


class ProjectProposeForm(ProjectFieldsForm):
    organisation = forms.ModelChoiceField(
        label="Lead organisation",
        queryset=Organisation.objects.none(),
        help_text="Your organisation leads the project and you become its coordinator.",
    )
    field_order = ["organisation", "title", "acronym"]

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first().pk


class ProjectEditForm(ProjectFieldsForm):
    consortium_agreement_signed_on = forms.DateField(
        label="Consortium agreement signed on", required=False, widget=DATE_WIDGET
    )
    consortium_agreement = forms.FileField(
        label="Consortium agreement (PDF)",
        required=False,
        help_text="Leave empty to keep the current document.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args, instance: Project, **kwargs):
        self.instance = instance
        initial = {
            name: getattr(instance, name)
            for name in (
                "title",
                "acronym",
                "summary",
                "start_date",
                "end_date",
                "summary_visibility",
                "rec_reference",
                "iras_id",
                "consortium_agreement_signed_on",
            )
        }
        initial["disease_areas"] = list(instance.disease_areas.values_list("pk", flat=True))
        super().__init__(*args, initial=initial, **kwargs)

    def clean_consortium_agreement(self):
        upload = self.cleaned_data.get("consortium_agreement")
        if upload and not upload.name.lower().endswith(".pdf"):
            raise ValidationError("Upload the consortium agreement as a PDF.")
        if upload and upload.size > 20 * 1024 * 1024:
            raise ValidationError("The consortium agreement may be at most 20 MB.")
        return upload


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class PartnerInviteForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        help_text="Only approved organisations can be invited.",
    )
    role = forms.ChoiceField(
        choices=[(PartnerRole.PARTNER, "Partner"), (PartnerRole.ASSOCIATE, "Associate")],
        initial=PartnerRole.PARTNER,
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations.order_by("name")


class MembershipAddForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        help_text="The partner organisation they join through.",
    )
    email = forms.EmailField(label="Their e-mail address")
    role = forms.ChoiceField(choices=MembershipRole.choices, initial=MembershipRole.CONTRIBUTOR)
    ends_on = forms.DateField(
        label="Membership ends on",
        required=False,
        widget=DATE_WIDGET,
        help_text="Required for observers; rights stop after this date.",
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == MembershipRole.OBSERVER and not cleaned.get("ends_on"):
            self.add_error("ends_on", "Observers are read-only and time-limited: give an end date.")
        email, organisation = cleaned.get("email"), cleaned.get("organisation")
        if email and organisation:
            user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
            if user is None:
                self.add_error("email", f"No one at {organisation.name} has the address {email}.")
            cleaned["user"] = user
        return cleaned


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(choices=MembershipRole.choices)
    ends_on = forms.DateField(label="Membership ends on", required=False, widget=DATE_WIDGET)


class WorkPackageForm(forms.Form):
    number = forms.IntegerField(min_value=1, max_value=99, label="Number (WP…)")
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    lead_organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Lead partner organisations",
    )
    members = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organisations, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_organisations"].queryset = organisations
        self.fields["members"].queryset = people
        self.fields["members"].label_from_instance = lambda u: u.get_full_name() or u.email


class BiomarkerForm(forms.ModelForm):
    class Meta:
        model = Biomarker
        fields = [
            "name",
            "kind",
            "stratum",
            "assay",
            "diagnostic_partner",
            "development_stage",
            "regulatory_status",
        ]
        labels = {
            "kind": "Type",
            "stratum": "Stratum (patient subpopulation it defines)",
            "assay": "Assay / companion diagnostic",
            "diagnostic_partner": "Diagnostic partner organisation",
        }
        widgets = {"stratum": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diagnostic_partner"].queryset = Organisation.objects.approved().order_by(
            "name"
        )


class FunderForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Funder",
        help_text="Research funders and charities.",
    )
    grant_reference = forms.CharField(max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            status=OrganisationStatus.APPROVED,
            kind__in=[OrganisationKind.FUNDER, OrganisationKind.CHARITY],
        ).order_by("name")


class CatalogueForm(forms.Form):
    """The catalogue's GET parameters; anything invalid is simply ignored."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    disease_area = forms.ModelChoiceField(
        queryset=DiseaseArea.objects.all(),
        to_field_name="slug",
        required=False,
        label="Disease area",
        empty_label="Any disease area",
    )
    # A partner organisation: `organisation` (a slug) is one exactly, from links and picked
    # suggestions; `organisation_name` is text its name contains. Thousands of organisations
    # at scale, so a text field with type-ahead suggestions rather than a <select>.
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        required=False,
        widget=forms.HiddenInput,
    )
    organisation_name = forms.CharField(
        label="Partner organisation", required=False, max_length=MAX_TEXT
    )
    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *OrganisationKind.choices],
        required=False,
        label="Organisation kind",
    )
    status = forms.ChoiceField(
        choices=[
            ("", "Any status"),
            *[(v, label) for v, label in ProjectStatus.choices if v in CATALOGUE_STATUSES],
        ],
        required=False,
    )
    sort = forms.ChoiceField(
        choices=[("", "Relevance"), *[(key, key) for key in SORTS]], required=False
    )

    def __init__(self, *args, organisations, **kwargs):
        """`organisations`: those the person may filter by (a submitted slug is checked)."""
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["disease_area"].choices = [
            ("", "Any disease area"),
            *[(area.slug, f"{'— ' * depth}{area.name}") for area, depth in disease_area_tree()],
        ]

    def clean(self):
        """The form sends both organisation fields, the text holding the chosen organisation's
        name: text the person changed replaces the choice, and empty text removes it. A link
        sends only the slug."""
        data = super().clean()
        chosen, name = data.get("organisation"), data.get("organisation_name", "")
        if chosen and text_replaces_choice(self.data, "organisation_name", name, chosen.name):
            data["organisation"] = None
        if data.get("organisation"):
            data["organisation_name"] = ""
        return data
