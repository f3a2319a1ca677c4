"""The catalogue's partner-organisation filter options, cached.

Which of 5,000 organisations partner in a project the visitor may find is a 60 ms query at
scale l, and 5,000 <option>s cost as much again to build; both were paid on every catalogue
page. The options are the same for every anonymous visitor, so they are cached once for all
of them; a signed-in person's depend on what that person may see, so theirs are cached under
their own id (and staff flag) and never shown to anyone else.

Saving or deleting a partner, project, membership, organisation or affiliation starts a new
generation at once (signals, connected in `ProjectsConfig.ready`). Writes that send no signal
(queryset updates, bulk inserts) show within `TTL` seconds. The options only help to choose a
filter: the projects listed are always selected fresh through the access policy.
"""

import uuid

from django.core.cache import cache

from apps.core.widgets import RenderedOptions

GENERATION_KEY = "projects:partner-filter:v2:generation"
TTL = 300
EMPTY_LABEL = "Any organisation"


def _generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)  # a racing process's value wins
        generation = cache.get(GENERATION_KEY, "")
    return generation


def new_generation(**_signal_kwargs) -> None:
    """Forget every cached option list (a signal receiver)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def _audience(user) -> str:
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return f"user:{user.pk}:{int(user.is_staff)}"


def partner_filter_options(user, organisations) -> RenderedOptions:
    """("", EMPTY_LABEL) and (slug, name) of `organisations` — the queryset of
    `selectors.catalogue_partner_organisations(user)` — rendered once per generation."""
    key = f"projects:partner-filter:v2:{_generation()}:{_audience(user)}"
    options = cache.get(key)
    if options is None:
        options = RenderedOptions([("", EMPTY_LABEL), *organisations.values_list("slug", "name")])
        cache.set(key, options, TTL)
    return options
