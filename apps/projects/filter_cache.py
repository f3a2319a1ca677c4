"""Large filter selects (the catalogue's partner organisations, the dataset list's projects),
cached as prebuilt option markup.

At scale l, the catalogue's 5,000 partner organisations were a 60 ms query and as much again
to build as <option>s, and the dataset list's 10,000 projects a 95 ms query and 600 ms of
template loop — on every page. What a select offers depends on what the person may see, so
the markup is cached per audience: once for all anonymous visitors, and per person (id and
staff flag) when signed in — never shown to anyone else.

Saving or deleting a partner, project, membership, organisation, affiliation, dataset or
access grant starts a new generation at once (signals, connected in `ProjectsConfig.ready`).
Changes that send no signal (queryset updates, bulk inserts, a grant reaching its end date)
show within `TTL` seconds. The options only help to choose a filter: the rows listed are
always selected fresh through the access policy, and a submitted value is checked against it.
"""

import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

from apps.core.widgets import RenderedOptions

GENERATION_KEY = "filter-options:v2:generation"
TTL = 300
# Models whose changes can change what a filter should offer.
WATCHED_MODELS = (
    "projects.Partner",
    "projects.Project",
    "projects.Membership",
    "organisations.Organisation",
    "organisations.Affiliation",
    "datasets.Dataset",
    "access.AccessGrant",
)


def _generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)  # a racing process's value wins
        generation = cache.get(GENERATION_KEY, "")
    return generation


def new_generation(**_signal_kwargs) -> None:
    """Forget every cached option list (a signal receiver): at once, and again when the
    change commits — a page built between the write and its commit may have cached what it
    saw before the change under the first new generation."""
    _start_generation()
    transaction.on_commit(_start_generation)


def _start_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def _audience(user) -> str:
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return f"user:{user.pk}:{int(user.is_staff)}"


def cached_options(name: str, user, pairs: Callable[[], Iterable]) -> RenderedOptions:
    """The options of filter `name` as `user` may see them: `pairs()` — (value, label), the
    empty choice first — rendered once per generation and audience."""
    key = f"filter-options:v2:{_generation()}:{name}:{_audience(user)}"
    options = cache.get(key)
    if options is None:
        options = RenderedOptions(pairs())
        cache.set(key, options, TTL)
    return options


def partner_filter_options(user, organisations) -> RenderedOptions:
    """The catalogue's partner filter: `organisations` is
    `selectors.catalogue_partner_organisations(user)`."""
    return cached_options(
        "catalogue-partners",
        user,
        lambda: [("", "Any organisation"), *organisations.values_list("slug", "name")],
    )
