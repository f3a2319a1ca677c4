"""The audit log in words: action codes and object types as people read them. Exports keep the
codes (apps/audit/exports.py); pages show these."""

from functools import cache

from django.apps import apps


def action_words(code: str) -> str:
    """`access_request.decide` → "Access request: decide"; `grant.revoke` → "Grant: revoke"."""
    subject, _, verb = code.partition(".")
    subject = subject.replace("_", " ").capitalize()
    verb = verb.replace("_", " ").replace(".", ", ")
    return f"{subject}: {verb}" if verb else subject


@cache
def _object_types() -> dict[str, str]:
    """Stratum's models (apps.*) by label: `access.accessgrant` → "Access grant"."""
    types = {}
    for model in apps.get_models():
        if model.__module__.startswith("apps."):
            types[model._meta.label_lower] = str(model._meta.verbose_name).capitalize()
    return types


def object_type_words(label: str) -> str:
    return _object_types().get(label, label)


def object_type_choices() -> list[tuple[str, str]]:
    return sorted(_object_types().items(), key=lambda item: item[1])
