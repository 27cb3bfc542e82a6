"""The follow ledger: reconcile complete observed lists and single observations with the follow state.

Rules, per direction (`following`: whom the owner follows; `follower`: who follows the owner):

- a person in a complete list who is not marked becomes marked; `*_since` is set only if it was never
  set (the first date is kept); `unfollowed_at`/`unfollower_at` is cleared; a `follow` history row is written;
- a marked person missing from a complete list is unmarked at T with an `unfollow` history row;
- unknown usernames become persons (following → MODEL, follower → VIEWER; the other one seen → BOTH);
- applying the same observation again changes nothing and writes no history;
- an observation older than the newest recorded state of that person and direction (a history row or
  the last complete list that confirmed it, `*_checked_at`) does not undo it;
- a list read with no count to check it against (`pending_after` given) does not unmark a missing person at
  once: the person becomes pending (`follow_pending`) and is unmarked only when a list at least
  `pending_after` later still misses them; any list that names a pending person clears the row;
- an unfollow is recorded at the first list that missed the person (its pending time, else this list's);
- a complete list that is empty, or would unmark half or more of the current set, or more than
  MASS_REMOVAL_SHARE (and more than MASS_REMOVAL_MIN) of it, is not applied unless confirmed: the result
  says `held` (docs/reliability.md, "Follow lists: removals must be proven").

Complete lists are applied set-based in one transaction: the list is resolved once into a temporary table
(ANALYZEd on PostgreSQL), then a handful of statements write from it by key.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.orm import Session

from mhc.models import FollowEvent, FollowPending, Person, Profile, Role, merge_role, normalise_username, utcnow
from mhc.models.types import UTCDateTime
from mhc.services import bulk

PLATFORM = "chaturbate"
DIRECTIONS = ("following", "follower")
SOURCES = ("list_scrape", "events_api", "profile_scrape", "manual_import")
DEFAULT_SHARE, DEFAULT_MIN = 0.20, 10
CHUNK = 500  # names per IN (...) list: SQLite allows 32k parameters, keep statements small anyway


@dataclass(frozen=True)
class Columns:
    """The profile columns that hold one direction's state, and the role its lists imply."""

    flag: str
    since: str
    ended: str
    checked: str
    role: str


COLUMNS = {
    "following": Columns("following", "following_since", "unfollowed_at", "following_checked_at", Role.MODEL.value),
    "follower": Columns("follower", "follower_since", "unfollower_at", "follower_checked_at", Role.VIEWER.value),
}


@dataclass(frozen=True)
class FollowObservation:
    """One follow or unfollow seen by one source (Events API event, profile page)."""

    username: str
    direction: str
    action: str  # "follow" | "unfollow"
    observed_at: datetime
    source: str
    event_id: str | None = None


@dataclass
class ApplyResult:
    """What an apply did (or, for a preview or a held list, would do)."""

    direction: str
    observed_at: datetime | None = None
    listed: int = 0  # distinct usernames observed
    added: int = 0
    removed: int = 0
    unchanged: int = 0
    created: int = 0  # persons that did not exist before
    ignored_older: int = 0  # observations older than the person's newest recorded state
    current: int = 0  # persons marked before the apply
    pending: int = 0  # marked persons missing from a list with no count: kept, waiting for a later read
    pending_cleared: int = 0  # pending persons this list names again
    held: bool = False
    applied: bool = True
    reason: str | None = None

    def counts(self) -> dict:
        """JSON-ready counts for job_runs and the CLI."""
        data = asdict(self)
        data["observed_at"] = self.observed_at.isoformat() if self.observed_at else None
        return data


class FollowListError(ValueError):
    """The list cannot be applied as given (unknown direction, invalid usernames, naive time)."""


# --------------------------------------------------------------------------------------------- lists


def apply_follow_list(
    session: Session,
    direction: str,
    usernames,
    observed_at: datetime,
    source: str,
    run_id=None,
    confirm_mass_removal: bool = False,
    pending_after: timedelta | None = None,
) -> ApplyResult:
    """Reconcile one complete observed list at `observed_at`; one transaction, set-based, idempotent.

    `pending_after` marks a list read with no count to check it against: missing persons wait as pending."""
    cols, names = _check(direction, usernames, observed_at, source)
    session.flush()
    sql = _Sql(session, cols, direction, observed_at, pending_after)
    try:
        sql.load(names)
        result = sql.plan(len(names))
        reason = confirmation_needed(result)
        if reason and not confirm_mass_removal:
            result.held, result.applied, result.reason = True, False, reason
            sql.drop()
            session.rollback()
            return result
        result.created = sql.create_persons()
        sql.merge_roles()
        sql.create_profiles()
        result.added = sql.mark_listed(source, run_id)  # the same rows the plan counted
        sql.confirm_listed()
        result.removed = sql.unmark_missing(source, run_id)
        sql.settle_pending(run_id)
        sql.drop()
        session.commit()
    except Exception:
        session.rollback()
        raise
    session.expire_all()
    return result


def preview_follow_list(
    session: Session,
    direction: str,
    usernames,
    observed_at: datetime | None = None,
    pending_after: timedelta | None = None,
) -> ApplyResult:
    """The counts applying this complete list would give, and whether the guard would hold it; writes nothing."""
    observed_at = observed_at or utcnow()
    cols, names = _check(direction, usernames, observed_at, "manual_import")
    session.flush()
    sql = _Sql(session, cols, direction, observed_at, pending_after)
    try:
        sql.load(names)
        result = sql.plan(len(names))
        result.reason = confirmation_needed(result)
        result.held, result.applied = result.reason is not None, False
        sql.drop()
    finally:
        session.rollback()
    return result


def _check(direction: str, usernames, observed_at: datetime, source: str) -> tuple[Columns, list[str]]:
    if direction not in COLUMNS:
        raise FollowListError(f"unknown direction {direction!r} (following or follower)")
    if source not in SOURCES:
        raise FollowListError(f"unknown source {source!r}")
    if observed_at is None or observed_at.tzinfo is None:
        raise FollowListError("observed_at must be a timezone-aware time")
    names, bad = normalise_names(usernames)
    if bad:
        raise FollowListError(f"{len(bad)} invalid username(s), e.g. {bad[0]!r}")
    return COLUMNS[direction], names


def normalise_names(usernames) -> tuple[list[str], list[str]]:
    """(distinct lowercased valid usernames in first-seen order, invalid inputs)."""
    seen, bad = {}, []
    for raw in usernames:
        try:
            seen.setdefault(normalise_username(raw), None)
        except ValueError:
            bad.append(raw)
    return list(seen), bad


def _share() -> float:
    return current_app.config.get("MASS_REMOVAL_SHARE", DEFAULT_SHARE) if has_app_context() else DEFAULT_SHARE


def _min() -> int:
    return current_app.config.get("MASS_REMOVAL_MIN", DEFAULT_MIN) if has_app_context() else DEFAULT_MIN


def confirmation_needed(result: ApplyResult) -> str | None:
    """Why applying this list needs an explicit confirmation (the mass-removal guard), or None."""
    removal = f"would mark {result.removed} of {result.current} as unfollowed"
    if result.listed == 0 and result.current:  # with nobody marked, an empty list changes nothing
        return f"the list is empty: {removal}; confirm to apply an empty list"
    if result.removed and 2 * result.removed >= result.current:
        return f"{removal} (half or more of them): confirm to apply"
    if result.removed > _min() and result.removed > _share() * result.current:
        return f"{removal} (more than {_share():.0%} and more than {_min()}): confirm to apply"
    return None


@dataclass(frozen=True)
class PendingPerson:
    """A marked person a list with no count missed: not unfollowed until a later read proves it."""

    username: str
    direction: str
    first_missed_at: datetime


def pending_persons(session: Session, limit: int = 500) -> list[PendingPerson]:
    """Persons still marked in a direction and pending there, by direction and username."""
    marked = sa.or_(
        sa.and_(FollowPending.direction == "follower", Profile.follower.is_(True)),
        sa.and_(FollowPending.direction == "following", Profile.following.is_(True)),
    )
    stmt = (
        select(Person.username, FollowPending.direction, FollowPending.first_missed_at)
        .join(Person, Person.id == FollowPending.person_id)
        .join(Profile, Profile.person_id == Person.id)
        .where(marked)
        .order_by(FollowPending.direction, Person.username)
        .limit(limit)
    )
    return [PendingPerson(*row) for row in session.execute(stmt)]


# The start of the follow period an unfollow at {at} ends: the newest follow row before it.
PERIOD_START = (
    "(SELECT max(f.observed_at) FROM follow_events f WHERE f.person_id = {person} AND f.direction = :d "
    "AND f.action = 'follow' AND f.observed_at <= {at})"
)


# A new random (version 4) id for each new person, made by the database: generating 100,000 in Python costs
# half a second. SQLite stores UUIDs as 32 hex digits (version nibble 13th, variant nibble 17th).
NEW_UUID_PG = "gen_random_uuid()"
NEW_UUID_SQLITE = (
    "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || substr('89ab', abs(random()) % 4 + 1, 1) "
    "|| substr(hex(randomblob(2)), 2) || hex(randomblob(6)))"
)


class _Sql:
    """The statements of one list apply.

    The observed usernames go into a temporary table; one join then resolves, once, everything the apply
    needs to know about each listed person and each marked person missing from the list (`follow_apply`,
    one row per person, integer flags). Every count comes from that table, and every write reads its rows
    from it and touches the real tables by key, so no statement repeats the username join.
    """

    NAMES, APPLY = "follow_list_tmp", "follow_apply"

    def __init__(
        self, session: Session, cols: Columns, direction: str, observed_at: datetime, pending_after: timedelta | None
    ):
        self.session, self.c, self.direction, self.t = session, cols, direction, observed_at
        self.pg = session.get_bind().dialect.name == "postgresql"
        # A list with no count: missing persons wait (pend 0 = not pending yet, 1 = waiting, 2 = waited long enough).
        self.waits = pending_after is not None
        self.cutoff = observed_at - pending_after if self.waits else observed_at
        self.REMOVE = self.MISSING + (" AND pend = 2" if self.waits else "")
        self.names = sa.Table(
            self.NAMES,
            sa.MetaData(),
            sa.Column("username", sa.String(64), primary_key=True),
            prefixes=["TEMPORARY"],
        )

    def run(self, sql: str, **params):
        """Execute one statement with the direction's columns filled in; typed binds for times and run id."""
        rendered = sql.format(c=self.c, names=self.NAMES, apply=self.APPLY, newer=self._newer())
        values = {"t": self.t, "now": utcnow(), "d": self.direction, "cutoff": self.cutoff, **params}
        types = {"t": UTCDateTime(), "now": UTCDateTime(), "cutoff": UTCDateTime(), "run": sa.Uuid()}
        binds = [bindparam(k, v, type_=types.get(k)) for k, v in values.items() if re.search(f":{k}\\b", rendered)]
        return self.session.execute(text(rendered).bindparams(*binds))

    def _newer(self) -> str:
        # A newer history row, or a newer complete list that confirmed the current state, wins. The history
        # test is an uncorrelated IN: one hashed set of the (few) persons with rows after T, not a probe per row.
        return (
            f"((pr.{self.c.checked} IS NOT NULL AND pr.{self.c.checked} > :t) OR pr.person_id IN (SELECT e.person_id "
            "FROM follow_events e WHERE e.direction = :d AND e.observed_at > :t))"
        )

    def load(self, names: list[str]) -> None:
        """Fill the names table (COPY on PostgreSQL) and resolve it into `follow_apply`."""
        self.drop()
        on_commit = " ON COMMIT DROP" if self.pg else ""
        self.session.execute(text(f"CREATE TEMPORARY TABLE {self.NAMES} (username VARCHAR(64) PRIMARY KEY){on_commit}"))
        bulk.insert_rows(self.session, self.names, [{"username": n} for n in names])
        self._analyze(self.NAMES)
        # Listed names: is_new (no person yet), the person's role, its profile, whether it is marked, whether
        # a newer recorded state wins, whether the list confirms a state checked before T.
        self.run(
            "CREATE TEMPORARY TABLE {apply}" + on_commit + " AS SELECT t.username AS username, "
            "coalesce(p.id, "
            + (NEW_UUID_PG if self.pg else NEW_UUID_SQLITE)
            + ") AS person_id, p.role AS role, pr.id AS profile_id, 1 AS listed, "
            "CASE WHEN p.id IS NULL THEN 1 ELSE 0 END AS is_new, "
            "CASE WHEN pr.{c.flag} THEN 1 ELSE 0 END AS marked, "
            "CASE WHEN pr.id IS NOT NULL AND {newer} THEN 1 ELSE 0 END AS newer, "
            "CASE WHEN pr.{c.flag} AND (pr.{c.checked} IS NULL OR pr.{c.checked} < :t) THEN 1 ELSE 0 END AS stale, "
            "0 AS pend FROM {names} t "
            + self._persons_join(len(names))
            + " LEFT JOIN profiles pr ON pr.person_id = p.id"
        )
        self.session.execute(text(f"CREATE INDEX ix_{self.APPLY}_person ON {self.APPLY} (person_id)"))
        # Marked persons missing from the list.
        self.run(
            "INSERT INTO {apply} (username, person_id, role, profile_id, listed, is_new, marked, newer, stale, pend) "
            "SELECT NULL, pr.person_id, NULL, pr.id, 0, 0, 1, CASE WHEN {newer} THEN 1 ELSE 0 END, 0, 0 "
            "FROM profiles pr WHERE pr.{c.flag} = TRUE AND NOT EXISTS "
            "(SELECT 1 FROM {apply} a WHERE a.person_id = pr.person_id)"
        )
        self._load_pending()
        self._analyze(self.APPLY)

    def _load_pending(self) -> None:
        """Forget pending rows that no longer mean anything, then flag the pending persons in `follow_apply`."""
        # Not marked any more, or a history row after the first miss: that miss is no longer evidence.
        self.run(
            "DELETE FROM follow_pending WHERE direction = :d AND (person_id NOT IN "
            "(SELECT person_id FROM profiles WHERE {c.flag} = TRUE) OR EXISTS (SELECT 1 FROM follow_events e "
            "WHERE e.person_id = follow_pending.person_id AND e.direction = :d "
            "AND e.observed_at > follow_pending.first_missed_at))"
        )
        self.run(
            "UPDATE {apply} SET pend = CASE WHEN person_id IN (SELECT person_id FROM follow_pending WHERE "
            "direction = :d AND first_missed_at <= :cutoff) THEN 2 ELSE 1 END WHERE person_id IN "
            "(SELECT person_id FROM follow_pending WHERE direction = :d AND first_missed_at <= :t)"
        )

    # A list under this share of the directory looks its persons up one by one on PostgreSQL.
    PROBE_SHARE = 0.05

    def _persons_join(self, listed: int) -> str:
        """The persons of the listed names. PostgreSQL hashes the whole persons table for any list of more
        than a few hundred names: right for 100k names of 200k persons (0.3 s against 1.4 s of index
        probes), wrong for 2k (45 ms against 20 ms), and it grows with the directory. A LATERAL ... LIMIT 1
        subquery cannot be flattened, so small lists probe the (platform, username) index instead."""
        if not self._probes(listed):
            return "LEFT JOIN persons p ON p.platform = 'chaturbate' AND p.username = t.username"
        return (
            "LEFT JOIN LATERAL (SELECT x.id, x.role FROM persons x WHERE x.platform = 'chaturbate' "
            "AND x.username = t.username LIMIT 1) p ON TRUE"
        )

    def _probes(self, listed: int) -> bool:
        if not self.pg:
            return False  # SQLite keeps LEFT JOIN order: it probes the index already
        persons = self.session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'persons'::regclass")) or 0
        return listed < self.PROBE_SHARE * persons  # reltuples is -1 before the first ANALYZE: join

    def _analyze(self, table: str) -> None:
        # Without statistics PostgreSQL assumes a tiny table and picks nested loops (20 s instead of 0.5 s).
        if self.pg:
            self.session.execute(text(f"ANALYZE {table}"))

    def drop(self) -> None:
        """Drop the temporary tables (PostgreSQL would drop them at commit anyway)."""
        for table in (self.APPLY, self.NAMES):
            self.session.execute(text(f"DROP TABLE IF EXISTS {table}"))

    ADD = "listed = 1 AND marked = 0 AND newer = 0"
    MISSING = "listed = 0 AND newer = 0"
    # The time an unfollow is recorded at: the first list that missed the person (pending since), else T.
    MISSED_AT = (
        "coalesce((SELECT fp.first_missed_at FROM follow_pending fp WHERE fp.person_id = {person} "
        "AND fp.direction = :d AND fp.first_missed_at <= :t), :t)"
    )

    def plan(self, listed: int) -> ApplyResult:
        """Every count of the apply, read from `follow_apply` before any write."""
        added, unchanged, older, removed, kept, missing, cleared = (
            int(n or 0)
            for n in self.run(
                "SELECT sum(CASE WHEN " + self.ADD + " THEN 1 ELSE 0 END), "
                "sum(CASE WHEN listed = 1 AND marked = 1 THEN 1 ELSE 0 END), "
                "sum(CASE WHEN listed = 1 AND marked = 0 AND newer = 1 THEN 1 ELSE 0 END), "
                "sum(CASE WHEN " + self.REMOVE + " THEN 1 ELSE 0 END), "
                "sum(CASE WHEN listed = 0 AND newer = 1 THEN 1 ELSE 0 END), "
                "sum(CASE WHEN " + self.MISSING + " THEN 1 ELSE 0 END), "
                "sum(CASE WHEN listed = 1 AND pend > 0 THEN 1 ELSE 0 END) FROM {apply}"
            ).one()
        )
        return ApplyResult(
            direction=self.direction,
            observed_at=self.t,
            listed=listed,
            added=added,
            removed=removed,
            unchanged=unchanged,
            ignored_older=older + kept,
            current=unchanged + missing + kept,  # every marked profile is listed-and-marked or missing
            pending=missing - removed,
            pending_cleared=cleared,
        )

    def create_persons(self) -> int:
        """Insert persons for usernames never seen before; return how many."""
        return self.run(
            "INSERT INTO persons (id, username, platform, role, first_seen_at) "
            "SELECT person_id, username, 'chaturbate', :role, :t FROM {apply} WHERE is_new = 1",
            role=self.c.role,
        ).rowcount

    def merge_roles(self) -> None:
        """UNKNOWN takes the list's role; the other role becomes BOTH."""
        self.run(
            "UPDATE persons SET role = CASE WHEN role = 'UNKNOWN' THEN :role ELSE 'BOTH' END WHERE id IN "
            "(SELECT person_id FROM {apply} WHERE listed = 1 AND is_new = 0 AND role NOT IN (:role, 'BOTH'))",
            role=self.c.role,
        )

    def create_profiles(self) -> None:
        """Every listed person gets a profile row (the follow state lives there)."""
        self.run(
            "INSERT INTO profiles (person_id) SELECT person_id FROM {apply} WHERE listed = 1 AND profile_id IS NULL"
        )

    def mark_listed(self, source: str, run_id) -> int:
        """Listed, unmarked, nothing newer: `follow` history, then mark (since kept if set)."""
        added = self._history("follow", self.ADD, source, run_id)
        self.run(
            "UPDATE profiles SET {c.flag} = TRUE, {c.since} = coalesce({c.since}, :t), {c.ended} = NULL, "
            "{c.checked} = :t WHERE person_id IN (SELECT person_id FROM {apply} WHERE " + self.ADD + ")"
        )
        return added

    def confirm_listed(self) -> None:
        """Listed and still marked: the list confirms the state as of T."""
        self.run(
            "UPDATE profiles SET {c.checked} = :t WHERE id IN "
            "(SELECT profile_id FROM {apply} WHERE listed = 1 AND stale = 1)"
        )

    def unmark_missing(self, source: str, run_id) -> int:
        """Marked, missing from the list, nothing newer: `unfollow` history, then unmark at T."""
        removed = self._history("unfollow", self.REMOVE, source, run_id)
        self.run(
            "UPDATE profiles SET {c.flag} = FALSE, {c.ended} = "
            + self.MISSED_AT.format(person="profiles.person_id")
            + ", {c.checked} = :t WHERE id IN (SELECT profile_id FROM {apply} WHERE "
            + self.REMOVE
            + ")"
        )
        return removed

    def settle_pending(self, run_id) -> None:
        """Named again or unfollowed now: no longer pending. Missing from a list with no count: pending from T."""
        self.run(
            "DELETE FROM follow_pending WHERE direction = :d AND person_id IN (SELECT person_id FROM {apply} "
            "WHERE (listed = 1 AND pend > 0) OR (" + self.REMOVE + "))"
        )
        if self.waits:
            self.run(
                "INSERT INTO follow_pending (person_id, direction, first_missed_at, job_run_id) "
                "SELECT person_id, :d, :t, :run FROM {apply} WHERE " + self.MISSING + " AND pend = 0 AND person_id "
                "NOT IN (SELECT person_id FROM follow_pending WHERE direction = :d)",
                run=_uuid(run_id) if run_id else None,
            )

    def _history(self, action: str, where: str, source: str, run_id) -> int:
        # An unfollow row records when the follow period it ends began (the newest follow before it).
        at = ":t" if action == "follow" else self.MISSED_AT.format(person="a.person_id")
        began = "NULL" if action == "follow" else PERIOD_START.format(person="a.person_id", at=at)
        return self.run(
            "INSERT INTO follow_events (person_id, direction, action, source, observed_at, job_run_id, created_at, "
            "period_started_at) SELECT a.person_id, :d, :action, :source, "
            + at
            + ", :run, :now, "
            + began
            + " FROM {apply} a WHERE "
            + where,
            action=action,
            source=source,
            run=_uuid(run_id) if run_id else None,
        ).rowcount


# --------------------------------------------------------------------------------------- observations


def apply_observations(session: Session, observations: list[FollowObservation], *, commit: bool = True) -> ApplyResult:
    """Apply single follow/unfollow observations in order (same rules; never a bulk unfollow); idempotent."""
    session.flush()
    result = ApplyResult(direction=",".join(sorted({o.direction for o in observations})) or "")
    todo = _valid(observations)
    todo = _drop_known_events(session, todo)
    if not todo:
        _finish(session, commit)
        return result
    names = list(dict.fromkeys(name for name, _ in todo))
    profiles, result.created = _profiles_for(session, names, todo)
    newest = _newest_states(session, [p.person_id for p in profiles.values()], profiles)
    rows = []
    for name, obs in sorted(todo, key=lambda item: item[1].observed_at):
        result.listed += 1
        profile, cols = profiles[name], COLUMNS[obs.direction]
        key = (profile.person_id, obs.direction)
        if newest.get(key) and obs.observed_at < newest[key]:
            result.ignored_older += 1
            continue
        marked, wanted = bool(getattr(profile, cols.flag)), obs.action == "follow"
        if marked == wanted:
            result.unchanged += 1
            continue
        _set_state(profile, cols, wanted, obs.observed_at)
        newest[key] = obs.observed_at
        result.added += wanted
        result.removed += not wanted
        rows.append(_event_row(profile.person_id, obs))
    if rows:
        session.execute(insert(FollowEvent), rows)
        _fill_period_starts(session, {(r["person_id"], r["direction"]) for r in rows if r["action"] == "unfollow"})
    _finish(session, commit)
    return result


def _fill_period_starts(session: Session, keys: set) -> None:
    """Give the unfollow rows just written the start of the follow period they ended."""
    for direction in {d for _, d in keys}:
        ids = [pid for pid, d in keys if d == direction]
        for i in range(0, len(ids), CHUNK):
            stmt = text(
                "UPDATE follow_events SET period_started_at = "
                + PERIOD_START.format(person="follow_events.person_id", at="follow_events.observed_at")
                + " WHERE action = 'unfollow' AND direction = :d AND period_started_at IS NULL "
                "AND person_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True, type_=sa.Uuid()))
            session.execute(stmt, {"d": direction, "ids": ids[i : i + CHUNK]})


def _valid(observations) -> list[tuple[str, FollowObservation]]:
    out = []
    for obs in observations:
        if obs.direction not in COLUMNS or obs.action not in ("follow", "unfollow") or obs.source not in SOURCES:
            raise FollowListError(f"invalid observation {obs!r}")
        if obs.observed_at is None or obs.observed_at.tzinfo is None:
            raise FollowListError("observed_at must be a timezone-aware time")
        try:
            out.append((normalise_username(obs.username), obs))
        except ValueError:
            continue  # not a Chaturbate username: nothing to record
    return out


def _drop_known_events(session: Session, todo: list) -> list:
    """Events already in the history (same event id) are not applied twice."""
    ids = [obs.event_id for _, obs in todo if obs.event_id]
    known = set()
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        known.update(session.scalars(select(FollowEvent.event_id).where(FollowEvent.event_id.in_(chunk))))
    seen, out = set(), []
    for name, obs in todo:
        if obs.event_id and (obs.event_id in known or obs.event_id in seen):
            continue
        seen.add(obs.event_id)
        out.append((name, obs))
    return out


def _profiles_for(session: Session, names: list[str], todo: list) -> tuple[dict[str, Profile], int]:
    """Profiles by username, creating persons and profiles as needed and merging roles."""
    persons = {}
    for i in range(0, len(names), CHUNK):
        stmt = select(Person).where(Person.platform == PLATFORM, Person.username.in_(names[i : i + CHUNK]))
        persons.update({p.username: p for p in session.scalars(stmt)})
    created = 0
    for name, obs in todo:
        role = COLUMNS[obs.direction].role
        person = persons.get(name)
        if person is None:
            person = Person(id=uuid.uuid4(), username=name, platform=PLATFORM, role=role, first_seen_at=obs.observed_at)
            session.add(person)
            persons[name] = person
            created += 1
        else:
            person.role = merge_role(person.role, role)
    session.flush()
    ids = [p.id for p in persons.values()]
    profiles = {}
    for i in range(0, len(ids), CHUNK):
        profiles.update(
            {p.person_id: p for p in session.scalars(select(Profile).where(Profile.person_id.in_(ids[i : i + CHUNK])))}
        )
    out = {}
    for name, person in persons.items():
        profile = profiles.get(person.id)
        if profile is None:
            profile = Profile(person_id=person.id, following=False, follower=False)
            session.add(profile)
        out[name] = profile
    session.flush()
    return out, created


def _newest_states(session: Session, person_ids: list, profiles: dict) -> dict:
    """(person_id, direction) -> newest of its last history row and last complete-list confirmation."""
    newest: dict = defaultdict(lambda: None)
    for i in range(0, len(person_ids), CHUNK):
        stmt = (
            select(FollowEvent.person_id, FollowEvent.direction, sa.func.max(FollowEvent.observed_at))
            .where(FollowEvent.person_id.in_(person_ids[i : i + CHUNK]))
            .group_by(FollowEvent.person_id, FollowEvent.direction)
        )
        for pid, direction, at in session.execute(stmt):
            newest[(pid, direction)] = _aware(at)
    for profile in profiles.values():
        for direction, cols in COLUMNS.items():
            checked = getattr(profile, cols.checked)
            key = (profile.person_id, direction)
            if checked and (newest[key] is None or checked > newest[key]):
                newest[key] = checked
    return newest


def _set_state(profile: Profile, cols: Columns, following: bool, at: datetime) -> None:
    setattr(profile, cols.flag, following)
    if following:
        if getattr(profile, cols.since) is None:
            setattr(profile, cols.since, at)
        setattr(profile, cols.ended, None)
    else:
        setattr(profile, cols.ended, at)


def _event_row(person_id, obs: FollowObservation) -> dict:
    return {
        "person_id": person_id,
        "direction": obs.direction,
        "action": obs.action,
        "source": obs.source,
        "observed_at": obs.observed_at,
        "event_id": obs.event_id,
        "created_at": utcnow(),
    }


def _finish(session: Session, commit: bool) -> None:
    if commit:
        session.commit()
    else:
        session.flush()


def _aware(value):
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):  # SQLite max() over a typed column can come back as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
