"""The search page's parameters: the text, the facet choices and the cursor, validated."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from apps.organisations.models import OrganisationKind
from apps.search.documents import MAX_QUERY_LENGTH
from apps.search.selectors import KIND_NAMES, STATUS_LABELS, TIER_LABELS, Cursor, Filters


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=MAX_QUERY_LENGTH, strip=True, label="Search")
    kind = forms.MultipleChoiceField(required=False, choices=[(name, name) for name in KIND_NAMES])
    tier = forms.ChoiceField(required=False, choices=[("", ""), *list(TIER_LABELS.items())])
    status = forms.ChoiceField(required=False, choices=[("", ""), *list(STATUS_LABELS.items())])
    organisation = forms.UUIDField(required=False)
    organisation_kind = forms.ChoiceField(
        required=False, choices=[("", ""), *list(OrganisationKind.choices)]
    )
    disease = forms.UUIDField(required=False)
    year = forms.IntegerField(
        required=False, validators=[MinValueValidator(1900), MaxValueValidator(2200)]
    )
    cursor = forms.CharField(required=False, max_length=200)

    def clean_cursor(self):
        text = self.cleaned_data.get("cursor") or ""
        if not text:
            return None
        try:
            return Cursor.decode(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            kinds=tuple(data.get("kind") or ()),
            tier=data.get("tier") or "",
            status=data.get("status") or "",
            organisation=data.get("organisation"),
            organisation_kind=data.get("organisation_kind") or "",
            disease=data.get("disease"),
            year=data.get("year"),
        )
