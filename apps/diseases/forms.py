from django import forms
from django.core.exceptions import ValidationError

from apps.diseases.icd10 import normalise_codes
from apps.diseases.models import DiseaseArea
from apps.diseases.selectors import disease_area_descendant_ids


class DiseaseAreaForm(forms.Form):
    name = forms.CharField(max_length=150)
    slug = forms.SlugField(max_length=80, help_text="Used in web addresses; lower case, hyphens.")
    icd10_codes = forms.CharField(
        label="ICD-10 codes",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Codes or ranges separated by commas or new lines, e.g. J44, J45 or M05-M14.",
    )
    parent = forms.ModelChoiceField(
        queryset=DiseaseArea.objects.all(), required=False, label="Parent area"
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, instance: DiseaseArea | None = None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "slug": instance.slug,
                    "icd10_codes": ", ".join(instance.icd10_codes),
                    "parent": instance.parent_id,
                    "description": instance.description,
                },
            )
        super().__init__(*args, **kwargs)
        if instance is not None:
            # An area cannot move below itself or one of its own sub-areas.
            below = disease_area_descendant_ids([instance.pk])
            self.fields["parent"].queryset = DiseaseArea.objects.exclude(pk__in=below)

    def clean_icd10_codes(self) -> list[str]:
        raw = self.cleaned_data["icd10_codes"].replace("\n", ",").replace(";", ",")
        entries = [part.strip() for part in raw.split(",") if part.strip()]
        if not entries:
            raise ValidationError("Give at least one ICD-10 code or range.")
        return normalise_codes(entries)  # ValidationError names each unknown code

    def _unique(self, field: str) -> str:
        value = self.cleaned_data[field]
        clash = DiseaseArea.objects.filter(**{f"{field}__iexact": value})
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(f"Another disease area already uses “{value}”.")
        return value

    def clean_name(self) -> str:
        return self._unique("name")

    def clean_slug(self) -> str:
        return self._unique("slug")
