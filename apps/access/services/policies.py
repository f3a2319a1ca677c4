"""Data-use policies: one DUO permission plus modifiers with typed values, versioned.

A new version is written on every change; grants and requests point at the version they were
made under, so changing the policy never rewrites history."""

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django_countries import countries

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.datasets.models import (
    DUO_RELEASE,
    Dataset,
    DataUseCondition,
    DataUsePolicy,
    DuoTerm,
)
from apps.diseases.models import DiseaseArea
from apps.organisations.models import Organisation, OrganisationStatus
from apps.projects.models import Project

MAX_TS_MONTHS = 120


def _id_list(value: Any, model, label: str, **filters) -> list[str]:
    ids = value if isinstance(value, list | tuple | set) else [value] if value else []
    ids = sorted({str(i) for i in ids if str(i).strip()})
    if not ids:
        raise ValidationError(f"Choose at least one {label}.")
    try:
        found = set(model.objects.filter(pk__in=ids, **filters).values_list("pk", flat=True))
    except ValidationError:
        raise ValidationError(f"Unknown {label}.") from None
    if {str(i) for i in found} != set(ids):
        raise ValidationError(f"Unknown {label}.")
    return ids


def _diseases(value: Any) -> list[str]:
    return _id_list(value, DiseaseArea, "disease area")


def _countries(value: Any) -> list[str]:
    codes = value if isinstance(value, list | tuple | set) else [value] if value else []
    codes = sorted({str(c).strip().upper() for c in codes if str(c).strip()})
    if not codes:
        raise ValidationError("Choose at least one country.")
    unknown = [c for c in codes if c not in dict(countries)]
    if unknown:
        raise ValidationError(f"Unknown country code: {', '.join(unknown)}.")
    return codes


def _date(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValidationError("Enter a date as YYYY-MM-DD.") from None


def _months(value: Any) -> int:
    try:
        months = int(value)
    except (TypeError, ValueError):
        raise ValidationError("Enter a whole number of months.") from None
    if isinstance(value, float) and value != months:
        raise ValidationError("Enter a whole number of months.")
    if not 1 <= months <= MAX_TS_MONTHS:
        raise ValidationError(f"Enter between 1 and {MAX_TS_MONTHS} months.")
    return months


def _users(value: Any) -> list[str]:
    return _id_list(value, User, "person", is_active=True)


def _project(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    return _id_list(value, Project, "project")[0]


def _organisations(value: Any) -> list[str]:
    return _id_list(value, Organisation, "organisation", status=OrganisationStatus.APPROVED)


def _text(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError("Enter a value.")
    if len(text) > 500:
        raise ValidationError("Keep it under 500 characters.")
    return text


# `DuoTerm.requires_value` → the validator that turns user input into the stored JSON value.
VALUE_VALIDATORS = {
    "disease": _diseases,
    "geography": _countries,
    "date": _date,
    "months": _months,
    "users": _users,
    "project": _project,
    "institution": _organisations,
    "collaborator": _text,
    "research_type": _text,
}


def _validated_value(term: DuoTerm, value: Any) -> Any:
    validator = VALUE_VALIDATORS.get(term.requires_value)
    if validator is None:
        if value not in (None, "", [], {}):
            raise ValidationError(f"{term.shorthand} takes no value.")
        return None
    if value in (None, "", []):
        raise ValidationError(f"{term.shorthand} needs a value.")
    return validator(value)


def _terms_by_shorthand(shorthands) -> dict[str, DuoTerm]:
    return {t.shorthand: t for t in DuoTerm.objects.filter(shorthand__in=list(shorthands))}


def _validated_conditions(
    *, permission: str, permission_value: Any, modifiers: Mapping[str, Any]
) -> list[tuple[DuoTerm, Any]]:
    terms = _terms_by_shorthand([permission, *modifiers])
    errors: dict[str, list[str]] = {}
    chosen: list[tuple[DuoTerm, Any]] = []
    permission_term = terms.get(permission)
    if permission_term is None or permission_term.kind != DuoTerm.Kind.PERMISSION:
        errors["permission"] = ["Choose one data-use permission."]
    else:
        try:
            chosen.append((permission_term, _validated_value(permission_term, permission_value)))
        except ValidationError as error:
            errors["permission"] = error.messages
    for shorthand, value in modifiers.items():
        term = terms.get(shorthand)
        if term is None or term.kind != DuoTerm.Kind.MODIFIER:
            errors.setdefault("modifiers", []).append(f"{shorthand} is not a DUO modifier.")
            continue
        try:
            chosen.append((term, _validated_value(term, value)))
        except ValidationError as error:
            errors[shorthand] = error.messages
    if errors:
        raise ValidationError(errors)
    return chosen


@transaction.atomic
def data_use_policy_set(
    *,
    dataset: Dataset,
    permission: str,
    actor,
    permission_value: Any = None,
    modifiers: Mapping[str, Any] | None = None,
    request=None,
) -> DataUsePolicy:
    """Write a new version of `dataset`'s data-use policy: exactly one DUO permission (with its
    value for DS: disease area ids) and any modifiers with typed values (GS countries, MOR date,
    TS months, US people, PS project, IS organisations, COL/RS text). Raises ValidationError
    keyed by field or term shorthand; nothing is written then."""
    conditions = _validated_conditions(
        permission=permission, permission_value=permission_value, modifiers=modifiers or {}
    )
    # Lock the dataset so two editors cannot both write version N + 1.
    Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
    latest = DataUsePolicy.objects.filter(dataset=dataset).aggregate(v=Max("version"))["v"] or 0
    policy = DataUsePolicy(
        dataset=dataset, version=latest + 1, duo_release=DUO_RELEASE, created_by=actor
    )
    policy.full_clean()
    policy.save()
    for term, value in conditions:
        condition = DataUseCondition(policy=policy, term=term, value=value)
        condition.full_clean()
        condition.save()
    audit_record(
        actor=actor,
        action="dataset.policy.set",
        target=policy,
        request=request,
        project_id=dataset.project_id,
        organisation_id=dataset.steward_organisation_id,
        to_state=f"v{policy.version}",
        details={
            "dataset": str(dataset.pk),
            "duo_release": policy.duo_release,
            "terms": {term.shorthand: value for term, value in conditions},
        },
    )
    return policy
