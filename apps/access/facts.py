"""A person's standing for access ("access facts"), gathered in one statement and cached by
access version (issue 16).

The policy used to re-derive who the person is — their approved organisations, partner
projects, memberships, committee seats, grants — as subqueries inside every statement it
filtered, so PostgreSQL planned the same subqueries again for each one. The facts are those
subqueries answered once, as plain ids the rules take as parameters.

Correctness comes from the database, never from signals or from the cache:

- Every write to a table behind the facts bumps the person's row in `access_accessversion`
  in the same transaction, through a trigger (`apps.access.versioning`): ORM save,
  `QuerySet.update()`, bulk writes, admin and raw SQL alike. A change to an organisation's
  status or to a partnership bumps every person currently affiliated to that organisation.
  A bump draws a new random version, so a version a rolled-back transaction used is never
  reused by a committed one.
- The version and the facts are read in ONE statement (one snapshot), so the facts stored
  under a version are never older than that version.
- An entry also expires at the earliest moment the clock alone would change it: a grant's
  `valid_until` (or `valid_from`), the day after a membership's `ends_on`. The check is made
  against `timezone.now()` on every use, so no sweep needs to have run.
- A cache miss or any cache error computes the facts from the database: the cache can make
  Stratum faster, never more permissive.

Each request asks the database for the person's version once (a primary-key probe; an API
request gets it with its token, `note_read_with_person`); the facts themselves come from this
process's memory or the shared cache when that version is known. Within a request, a write on the connection (or the end of a transaction) makes the
next use probe the version again, so a service that changes access and then asks the policy
sees its own change.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.access.models import (
    AccessGrant,
    AccessVersion,
    CommitteeMember,
    DataAccessCommittee,
    GrantStatus,
)
from apps.organisations.models import Affiliation, AffiliationRole, Organisation, OrganisationStatus
from apps.projects.models import Membership, MembershipRole, Partner, PartnerStatus

logger = logging.getLogger(__name__)

# The factors that count as a second factor; recovery codes alone are a fallback, not one.
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, "webauthn")
EDITOR_ROLES = (MembershipRole.COORDINATOR, MembershipRole.CONTRIBUTOR)
CACHE_SCHEMA = 1  # bump when AccessFacts changes shape, so old pickles are never read
CACHE_SECONDS = 3600  # an upper bound: a version is exact, this only keeps Redis tidy
MEMO_SIZE = 4096


@dataclass(frozen=True)
class AccessFacts:
    """What the policy needs to know about one person, as of one access version."""

    user_pk: UUID
    version: int
    # Current affiliations: to approved organisations / to organisations of any status.
    active_organisation_ids: tuple[UUID, ...]
    current_organisation_ids: tuple[UUID, ...]
    # Current admin affiliations: to approved organisations / of any status.
    admin_organisation_ids: tuple[UUID, ...]
    own_admin_organisation_ids: tuple[UUID, ...]
    # Projects with an active partner that is one of the approved organisations: the consortium.
    consortium_project_ids: tuple[UUID, ...]
    # Current memberships (not ended, not past `ends_on`) through an approved organisation that
    # is still an active partner of the project: (project id, role).
    memberships: tuple[tuple[UUID, str], ...]
    # Committees' projects the person sits on through an approved organisation.
    seat_project_ids: tuple[UUID, ...]
    # Datasets the person holds a grant for right now (through an approved organisation).
    grant_dataset_ids: tuple[UUID, ...]
    # The MFA requirement (apps.security.mfa): a current admin affiliation, committee seat or
    # coordinator membership (whatever the organisation's status), and an enrolled factor.
    privileged_role: bool
    has_second_factor: bool
    # When the clock alone would change these facts (None: never).
    expires_at: datetime.datetime | None

    @functools.cached_property
    def standing(self) -> str:
        """A digest of these facts (equal facts, equal digest), for keys of what was cached
        for this standing. Worked out once per facts object: a page asks for it more than once,
        and the facts object is shared by the requests of one access version."""
        return hashlib.blake2b(repr(self).encode(), digest_size=16).hexdigest()

    def member_project_ids(self, roles=None) -> tuple[UUID, ...]:
        wanted = None if roles is None else {str(role) for role in roles}
        ids = {project for project, role in self.memberships if wanted is None or role in wanted}
        return tuple(sorted(ids))

    def fresh(self, now: datetime.datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


# --- The write generation of a connection ---------------------------------------------------
# A request's user object may hold facts computed before a write on the same connection (a
# service that adds a membership, then renders). Counting statements that are not plain reads
# tells the next use to probe the version again.
_READS = ("SELECT", "SAVEPOINT", "RELEASE", "SET ", "SHOW")


def _count_writes(execute, sql, params, many, context):
    if many or not sql.lstrip()[:9].upper().startswith(_READS):
        conn = context["connection"]
        conn.access_writes = getattr(conn, "access_writes", 0) + 1
    return execute(sql, params, many, context)


def _writes() -> int:
    conn = connections[DEFAULT_DB_ALIAS]
    if _count_writes not in conn.execute_wrappers:
        conn.execute_wrappers.append(_count_writes)
        conn.access_writes = getattr(conn, "access_writes", 0) + 1
    if not getattr(conn, "access_rollbacks_counted", False):
        _count_rollbacks(conn)
    return conn.access_writes


def _count_rollbacks(conn) -> None:
    """A savepoint's rollback is a statement the wrapper sees; the outermost transaction's is
    a driver call it does not. Facts read after a write that is then rolled back must not
    outlive it, so that call counts as a write too."""
    rollback = conn._rollback

    def counted_rollback():
        conn.access_writes = getattr(conn, "access_writes", 0) + 1
        return rollback()

    conn._rollback = counted_rollback
    conn.access_rollbacks_counted = True


@dataclass
class _Memo:
    facts: AccessFacts
    writes: int


# --- Shared between requests: this process's memory, then the cache --------------------------
_memory: OrderedDict = OrderedDict()
_memory_lock = threading.Lock()


def _key(user_pk, version: int, zone: str) -> str:
    return f"access-facts:{CACHE_SCHEMA}:{user_pk}:{version}:{zone}"


def _remembered(key: str, now) -> AccessFacts | None:
    with _memory_lock:
        facts = _memory.get(key)
        if facts is not None:
            _memory.move_to_end(key)
    if facts is not None and facts.fresh(now):
        return facts
    try:
        facts = cache.get(key)
    except Exception:
        logger.warning("access facts cache unavailable; reading from the database", exc_info=True)
        return None
    if isinstance(facts, AccessFacts) and facts.fresh(now):
        _remember_locally(key, facts)
        return facts
    return None


def _remember_locally(key: str, facts: AccessFacts) -> None:
    with _memory_lock:
        _memory[key] = facts
        _memory.move_to_end(key)
        while len(_memory) > MEMO_SIZE:
            _memory.popitem(last=False)


def _remember(key: str, facts: AccessFacts, now) -> None:
    seconds = CACHE_SECONDS
    if facts.expires_at is not None:
        seconds = min(seconds, int((facts.expires_at - now).total_seconds()))
    if seconds <= 0:
        return
    _remember_locally(key, facts)
    try:
        cache.set(key, facts, seconds)
    except Exception:
        logger.warning("access facts cache unavailable; not stored", exc_info=True)


def forget_local_memory() -> None:
    """Drop this process's copies (tests that stop the cache)."""
    with _memory_lock:
        _memory.clear()


# --- The one entry point ---------------------------------------------------------------------
def access_facts(user) -> AccessFacts:
    """`user`'s facts as of their current access version (see the module docstring).

    Precondition: `user` is a signed-in person (the policy never asks for anybody else)."""
    user = getattr(user, "_user", user)  # the policy's "same person without staff" wrapper
    memo = getattr(user, "_access_facts_memo", None)
    writes = _writes()
    now = timezone.now()
    if (
        memo is not None
        and memo.writes == writes
        and memo.facts.user_pk == user.pk
        and memo.facts.fresh(now)
    ):
        return memo.facts
    zone = timezone.get_current_timezone_name()
    seen = getattr(user, "_access_version_seen", None)
    version = seen[0] if seen is not None and seen[1] == writes else _version_of(user.pk)
    facts = _remembered(_key(user.pk, version, zone), now)
    if facts is None:
        facts = _read_facts(user.pk, now)
        _remember(_key(user.pk, facts.version, zone), facts, now)
    user._access_facts_memo = _Memo(facts, _writes())
    return facts


def note_read_with_person(
    user, access_version: int | None, catalogue_version: int | None, catalogue_pending
) -> None:
    """`user` was loaded (for a session or a token) together with their access version
    (`AccessVersion.version`, None when they have no row yet) and the catalogue's version
    and pending flag (`apps.projects.catalogue_ref`), so the request's first use of the
    facts need not probe the one, nor a list cached under the catalogue version read the
    other. Both are void after any write on the connection, as the memo is."""
    writes = _writes()
    user._access_version_seen = (access_version or 0, writes)
    user._catalogue_ref_seen = (int(catalogue_version or 0), bool(catalogue_pending), writes)


def catalogue_ref_seen(user) -> tuple[int, bool] | None:
    """The catalogue's version noted by `note_read_with_person`, as `(version, False)`, while
    nothing has been written on the connection since; None otherwise, and when it said
    "pending" (the reader asks the database then)."""
    seen = getattr(getattr(user, "_user", user), "_catalogue_ref_seen", None)
    if seen is None or seen[1] or seen[2] != _writes():
        return None
    return seen[0], False


def _version_of(user_pk) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT version FROM {AccessVersion._meta.db_table} WHERE user_id = %s",
            [_db_uuid(user_pk)],
        )
        row = cursor.fetchone()
    return row[0] if row else 0


def _db_uuid(value):
    return AccessVersion._meta.pk.get_db_prep_value(value, connection)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# PostgreSQL types a UNION's columns from its first branch: spell them out there.
_COLUMN_TYPES = ("uuid", "uuid", "text", "text", "timestamptz", "timestamptz", "date")


def _typed_nulls() -> str:
    if connection.vendor != "postgresql":
        return ", ".join(["NULL"] * len(_COLUMN_TYPES))
    return ", ".join(f"CAST(NULL AS {kind})" for kind in _COLUMN_TYPES)


def _facts_sql() -> str:
    affiliation, organisation = _table(Affiliation), _table(Organisation)
    return " UNION ALL ".join(
        [
            # The version first: read in the same snapshot as the rows it versions.
            f"SELECT 'v', {_typed_nulls()}, v.version "
            f"FROM {_table(AccessVersion)} v WHERE v.user_id = %s",
            "SELECT 'a', af.organisation_id, NULL, af.role, o.status, NULL, NULL, NULL, NULL "
            f"FROM {affiliation} af JOIN {organisation} o ON o.id = af.organisation_id "
            "WHERE af.user_id = %s AND af.ended_at IS NULL",
            "SELECT 'p', pa.project_id, pa.organisation_id, NULL, NULL, NULL, NULL, NULL, NULL "
            f"FROM {_table(Partner)} pa WHERE pa.status = %s AND pa.organisation_id IN "
            f"(SELECT organisation_id FROM {affiliation} "
            "WHERE user_id = %s AND ended_at IS NULL)",
            "SELECT 'm', m.project_id, m.organisation_id, m.role, NULL, NULL, NULL, m.ends_on, "
            f"NULL FROM {_table(Membership)} m WHERE m.user_id = %s AND m.ended_at IS NULL",
            "SELECT 's', c.project_id, cm.organisation_id, NULL, NULL, NULL, NULL, NULL, NULL "
            f"FROM {_table(CommitteeMember)} cm JOIN {_table(DataAccessCommittee)} c "
            "ON c.id = cm.committee_id WHERE cm.user_id = %s AND cm.ended_at IS NULL",
            "SELECT 'g', g.dataset_id, g.organisation_id, NULL, NULL, g.valid_from, "
            f"g.valid_until, NULL, NULL FROM {_table(AccessGrant)} g "
            "WHERE g.user_id = %s AND g.status = %s AND g.valid_until > %s",
            "SELECT 'f', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
            f"FROM {_table(Authenticator)} f WHERE f.user_id = %s AND f.type IN (%s, %s)",
        ]
    )


def _read_facts(user_pk, now: datetime.datetime) -> AccessFacts:
    uid = _db_uuid(user_pk)
    at = connection.ops.adapt_datetimefield_value(now)
    params = [uid, uid, PartnerStatus.ACTIVE, uid, uid, uid, uid, GrantStatus.ACTIVE, at, uid]
    params += list(SECOND_FACTOR_TYPES)
    with connection.cursor() as cursor:
        cursor.execute(_facts_sql(), params)
        rows = cursor.fetchall()
    return _facts_from_rows(user_pk, rows, now)


def _uuid(value) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


def _moment(value) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    parsed = parse_datetime(str(value))  # SQLite: naive UTC text
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, datetime.UTC)


def _day(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return parse_date(str(value))


def _facts_from_rows(user_pk, rows, now: datetime.datetime) -> AccessFacts:
    by_kind: dict[str, list] = {}
    for row in rows:
        by_kind.setdefault(row[0], []).append(row[1:])
    version = next((int(r[7]) for r in by_kind.get("v", [])), 0)
    affiliations = [(_uuid(r[0]), r[2], r[3]) for r in by_kind.get("a", [])]
    active = {org for org, _, status in affiliations if status == OrganisationStatus.APPROVED}
    admin_any = {org for org, role, _ in affiliations if role == AffiliationRole.ADMIN}
    partners = {(_uuid(r[0]), _uuid(r[1])) for r in by_kind.get("p", [])}
    expiries: list[datetime.datetime] = []

    today = timezone.localdate(now)
    memberships, coordinates = set(), False
    for project, organisation, role, _, _, _, ends_on, _ in by_kind.get("m", []):
        project, organisation, ends_on = _uuid(project), _uuid(organisation), _day(ends_on)
        coordinates = coordinates or role == MembershipRole.COORDINATOR
        if ends_on is not None and ends_on < today:
            continue
        if organisation in active and (project, organisation) in partners:
            memberships.add((project, role))
            if ends_on is not None:  # the membership lasts through its end date
                expiries.append(_start_of(ends_on + datetime.timedelta(days=1)))

    seats_all = [(_uuid(r[0]), _uuid(r[1])) for r in by_kind.get("s", [])]
    grants = set()
    for dataset, organisation, _, _, valid_from, valid_until, _, _ in by_kind.get("g", []):
        valid_from, valid_until = _moment(valid_from), _moment(valid_until)
        if valid_from > now:  # not yet: the entry ends when it starts
            expiries.append(valid_from)
        elif _uuid(organisation) in active:
            grants.add(_uuid(dataset))
            expiries.append(valid_until)

    return AccessFacts(
        user_pk=user_pk,
        version=version,
        active_organisation_ids=tuple(sorted(active)),
        current_organisation_ids=tuple(sorted({org for org, _, _ in affiliations})),
        admin_organisation_ids=tuple(sorted(admin_any & active)),
        own_admin_organisation_ids=tuple(sorted(admin_any)),
        consortium_project_ids=tuple(sorted({p for p, org in partners if org in active})),
        memberships=tuple(sorted(memberships)),
        seat_project_ids=tuple(sorted({p for p, org in seats_all if org in active})),
        grant_dataset_ids=tuple(sorted(grants)),
        privileged_role=bool(admin_any or seats_all or coordinates),
        has_second_factor=bool(by_kind.get("f")),
        expires_at=min(expiries) if expiries else None,
    )


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
