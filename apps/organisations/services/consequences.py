"""What other apps must do, in the same transaction, when a person or an organisation loses
standing.

Organisations sit below the apps that hand out rights through them: the access app's grants
name an organisation, never the other way round. So the organisation services cannot call
the access services; instead each app that holds such rights registers its consequence here
once, from its `AppConfig.ready()`, and the organisation service runs every registered one
inside its own transaction (an exception rolls the whole change back). A registry rather than
a signal: the calls are explicit, ordered and run by the service that caused them, never by a
`post_save` that `QuerySet.update()` would skip.

Each consequence is called with keyword arguments only:
- `AFFILIATION_ENDED`: affiliation, actor, reason
- `ORGANISATION_SUSPENDED`: organisation, actor, reason
- `ORGANISATION_NOW_FOR_PROFIT`: organisation, actor
"""

from collections.abc import Callable

AFFILIATION_ENDED = "affiliation_ended"
ORGANISATION_SUSPENDED = "organisation_suspended"
ORGANISATION_NOW_FOR_PROFIT = "organisation_now_for_profit"

_registry: dict[str, list[Callable[..., None]]] = {
    AFFILIATION_ENDED: [],
    ORGANISATION_SUSPENDED: [],
    ORGANISATION_NOW_FOR_PROFIT: [],
}


def register(event: str, consequence: Callable[..., None]) -> None:
    """Run `consequence` whenever `event` happens. Registering the same function twice (a
    second `ready()` in tests) keeps one entry."""
    if consequence not in _registry[event]:
        _registry[event].append(consequence)


def registered(event: str) -> list[Callable[..., None]]:
    return list(_registry[event])


def run(event: str, **facts) -> None:
    for consequence in _registry[event]:
        consequence(**facts)
