"""Every shared kind (`apps.core.kinds`) in the change feed, as the trust issue (#15) asks:
upserts to who may see, tombstones only to who saw the object before — for a deletion and for
an access loss — and nothing at all to anyone else. The kinds come from the registry, so a new
kind is held to this without being named here."""

import pytest

from apps.core.kinds import shared_kinds
from apps.core.models import AccessTier
from apps.projects.models import PartnerStatus
from tests.api.conftest import client_for
from tests.kinds import BUILDERS

pytestmark = pytest.mark.django_db
KINDS = [kind.name for kind in shared_kinds()]


def _heads(*clients) -> list[str]:
    return [client.get("/api/v1/changes/?since=latest").json()["cursor"] for client in clients]


def _items(client, head, ids) -> list[tuple[str, str]]:
    body = client.get(f"/api/v1/changes/?since={head}&page_size=200").json()
    return sorted((item["resource"], item["op"]) for item in body["results"] if item["id"] in ids)


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_item_reaches_insiders_as_upserts_and_outsiders_not_at_all(
    kind, project, partner_member, outsider
):
    inside, outside = client_for(partner_member), client_for(outsider)
    heads = _heads(inside, outside)
    item, stored = BUILDERS[kind](project, AccessTier.CONSORTIUM, title=f"Secret {kind} title")
    declared = {part.resource for part in next(k for k in shared_kinds() if k.name == kind).parts}
    ids = {str(item.pk), str(stored.pk)}
    seen = _items(inside, heads[0], ids)
    assert {resource for resource, _op in seen} == declared
    assert {op for _resource, op in seen} == {"upsert"}
    assert _items(outside, heads[1], ids) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_deleted_item_is_tombstoned_only_to_who_saw_it(kind, project, partner_member, outsider):
    title = f"Secret {kind} title"
    item, stored = BUILDERS[kind](project, AccessTier.CONSORTIUM, title=title, draft=True)
    ids = {str(item.pk), str(stored.pk)}
    inside, outside = client_for(partner_member), client_for(outsider)
    heads = _heads(inside, outside)
    stored.delete()
    item.delete()
    body = inside.get(f"/api/v1/changes/?since={heads[0]}&page_size=200").json()
    assert f"Secret {kind} title" not in str(body)
    assert {op for _r, op in _items(inside, heads[0], ids)} == {"tombstone"}
    assert len(_items(inside, heads[0], ids)) == 2
    assert _items(outside, heads[1], ids) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_partner_leaving_tombstones_the_item_and_its_files_for_its_members(
    kind, project, partner_org, partner_member
):
    item, stored = BUILDERS[kind](project, AccessTier.CONSORTIUM)
    inside = client_for(partner_member)
    [head] = _heads(inside)
    link = project.partners.get(organisation=partner_org)
    link.status = PartnerStatus.LEFT
    link.save()
    assert _items(inside, head, {str(item.pk), str(stored.pk)}) == [
        (part.resource, "tombstone")
        for part in sorted(
            next(k for k in shared_kinds() if k.name == kind).parts, key=lambda p: p.resource
        )
    ]
