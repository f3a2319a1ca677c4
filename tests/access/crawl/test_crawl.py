"""Issue 15, acceptance 2: no channel shows a person what the access policy hides.

Each probe persona walks every route, API operation, filter, fragment and export (see
`spider.py`) with the read guard strict; any canary word whose field the policy hides from
that persona, anywhere in any response (headers included), fails the test, and so does any
5xx (an unscoped read of a governed model is one). The controls, entitled between them to
every field, must find every canary, so the probe cannot pass by seeing nothing.
"""

import pytest
from django.test import Client

from apps.access.policy import can
from apps.core.guard import person_reads
from tests.access.crawl.spider import NONSENSE, Pools, crawl, pool_name
from tests.access.crawl.world import CONTROLS, PROBES, build_world

pytestmark = pytest.mark.slow


def _pools(world) -> Pools:
    from django.apps import apps

    from apps.access.models import AccessGrant, AccessRequest, CommitteeMember
    from apps.accounts.models import User
    from apps.core.kinds import shared_parts
    from apps.diseases.models import DiseaseArea
    from apps.milestones.models import Deliverable, Milestone
    from apps.notifications.models import Notification
    from apps.organisations.models import Organisation
    from apps.projects.models import Biomarker, Membership, Partner, Project, WorkPackage

    kinds = {
        "project": Project,
        # Every shared kind's parts (datasets, protocols, analyses…), as declared.
        **{pool_name(part.resource): apps.get_model(part.model) for part in shared_parts()},
        "milestone": Milestone,
        "deliverable": Deliverable,
        "access_request": AccessRequest,
        "grant": AccessGrant,
        "notification": Notification,
        "organisation": Organisation,
        "disease_area": DiseaseArea,
        "user": User,
        "committee_member": CommitteeMember,
        "membership": Membership,
        "partner": Partner,
        "biomarker": Biomarker,
        "work_package": WorkPackage,
    }
    ids = {
        kind: [str(pk) for pk in model._base_manager.values_list("pk", flat=True)]
        for kind, model in kinds.items()
    }
    slugs = [p.slug for p in Project._base_manager.all()] + [
        o.slug for o in Organisation._base_manager.all()
    ]
    return Pools(ids=ids, slugs=slugs, words=[c.word for c in world.canaries])


def _count(text: str, needle: str) -> int:
    return text.lower().count(needle) if needle else 0


def _shows(visit, canary) -> bool:
    """Whether the response shows the canary's hidden text, or (asked about the hidden word)
    names its object more often than when asked about a word that matches nothing."""
    if visit.word is None:
        return canary.word in visit.body.lower()
    echoed = _count(visit.baseline, NONSENSE) if visit.word == canary.word else 0
    if _count(visit.body, canary.word) > echoed:
        return True
    return visit.word == canary.word and _count(visit.body, canary.public_name) > _count(
        visit.baseline, canary.public_name
    )


def _hidden(world, person) -> list:
    with person_reads():
        return [c for c in world.canaries if not can(person, c.action, c.obj)]


def _client_for(person) -> Client:
    client = Client(raise_request_exception=False)
    if person.is_authenticated:
        client.force_login(person)
    return client


def _walk(world, persona: str, hidden_ids: list[str]):
    return crawl(_client_for(world.people[persona]), _pools(world), hidden_ids)


@pytest.mark.parametrize("persona", PROBES)
def test_no_channel_shows_a_probe_persona_what_the_policy_hides(db, persona):
    world = build_world()
    hidden = _hidden(world, world.people[persona])
    assert hidden, f"the world hides nothing from {persona}: the probe would be void"
    hidden_ids = sorted({str(c.obj.pk) for c in hidden})

    visits = _walk(world, persona, hidden_ids)

    errors = [f"{v.status} {v.url}" for v in visits if v.status >= 500]
    leaks = [
        f"{c.word} ({type(c.obj).__name__}) in {v.url} [{v.status}]"
        for v in visits
        for c in hidden
        if _shows(v, c)
    ]
    assert len(visits) > 300, "the crawl reached too little of the portal to mean anything"
    assert not (errors or leaks), (
        "server errors (an unscoped read raises):\n"
        + "\n".join(errors[:40])
        + f"\n{persona} was shown hidden canaries:\n"
        + "\n".join(leaks[:40])
    )


def test_the_controls_find_every_canary_so_the_probe_is_not_void(db):
    world = build_world()
    found: set[str] = set()
    for persona in CONTROLS:
        visits = _walk(world, persona, [])
        errors = [f"{v.status} {v.url}" for v in visits if v.status >= 500]
        assert not errors, f"server errors for {persona}:\n" + "\n".join(errors[:40])
        found |= {c.word for c in world.canaries for v in visits if _shows(v, c)}
    missing = sorted({c.word for c in world.canaries} - found)
    assert not missing, f"no entitled control saw these canaries anywhere: {missing}"
