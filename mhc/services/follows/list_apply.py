"""The statements of one complete-list apply (the rules: mhc/services/follows/follow_ledger.py).

The list is resolved once into a temporary table, then a handful of statements write from it by key.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import PLATFORM, utcnow
from mhc.models.persons import role_changes_sql
from mhc.models.types import UTCDateTime, parse_uuid
from mhc.services import persons
from mhc.services.follows.direction import Columns
from mhc.services.follows.ledger_types import NAME_GROUPS, ApplyResult, NamesPage, NamesQuery, PreviewName

# The start of the follow period an unfollow at {at} ends: the newest follow row before it.
ANALYZE_AFTER = 10_000  # history rows one statement wrote: then refresh the planner's counts of the history
PERIOD_START = (
    "(SELECT max(f.observed_at) FROM follow_events f WHERE f.person_id = {person} AND f.direction = :d "
    "AND f.action = 'follow' AND f.observed_at <= {at})"
)


class ListApply:
    """The statements of one list apply.

    The observed usernames go into a temporary table; one join then resolves, once, everything the apply
    needs to know about each listed person and each marked person missing from the list (`follow_apply`,
    one row per person, integer flags). Every count comes from that table, and every write reads its rows
    from it and touches the real tables by key, so no statement repeats the username join.
    """

    NAMES, APPLY = "follow_list_tmp", "follow_apply"
    # The columns of `follow_apply` that person identity reads (services.persons), as a table to select from.
    ROWS = sa.table(
        APPLY,
        sa.column("username", sa.String(64)),
        sa.column("person_id", sa.Uuid()),
        sa.column("role", sa.String(16)),
        sa.column("listed", sa.Integer()),
        sa.column("is_new", sa.Integer()),
    )

    def __init__(
        self, session: Session, cols: Columns, direction: str, observed_at: datetime, pending_after: timedelta | None
    ):
        self.session, self.c, self.direction, self.t = session, cols, direction, observed_at
        # A list with no count: missing persons wait (pend 0 = not pending yet, 1 = waiting, 2 = waited long enough).
        self.waits = pending_after is not None
        self.cutoff = observed_at - pending_after if self.waits else observed_at
        self.REMOVE = self.MISSING + (" AND pend = 2" if self.waits else "")
        self.names = sqlcompat.temp_table(self.NAMES, sa.Column("username", sa.String(64), primary_key=True))

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
        """Fill the names table and resolve it into `follow_apply` (both analysed: without statistics
        PostgreSQL assumes a tiny table and picks nested loops, 20 s instead of 0.5 s)."""
        self.drop()
        sqlcompat.create_temp_table(self.session, self.names)
        sqlcompat.insert_rows(self.session, self.names, [{"username": n} for n in names])
        sqlcompat.analyze(self.session, self.NAMES)
        # Listed names: is_new (no person yet), the person's role, its profile, whether it is marked, whether
        # a newer recorded state wins, whether the list confirms a state checked before T.
        self.run(
            sqlcompat.create_temp_table_as(self.session, self.APPLY) + " SELECT t.username AS username, "
            "coalesce(p.id, "
            + sqlcompat.render(self.session, sqlcompat.random_uuid())
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
        sqlcompat.analyze(self.session, self.APPLY)

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
            return f"LEFT JOIN persons p ON p.platform = '{PLATFORM}' AND p.username = t.username"
        return (
            f"LEFT JOIN LATERAL (SELECT x.id, x.role FROM persons x WHERE x.platform = '{PLATFORM}' "
            "AND x.username = t.username LIMIT 1) p ON TRUE"
        )

    def _probes(self, listed: int) -> bool:
        # Only PostgreSQL keeps a row estimate (and has LATERAL); SQLite keeps LEFT JOIN order and probes already.
        persons = sqlcompat.table_rows_estimate(self.session, "persons")
        return persons is not None and listed < self.PROBE_SHARE * persons

    def drop(self) -> None:
        """Drop the temporary tables (PostgreSQL would drop them at commit anyway)."""
        for table in (self.APPLY, self.NAMES):
            sqlcompat.drop_temp_table(self.session, table)

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

    def create_persons(self) -> tuple[int, bool]:
        """Insert persons for usernames never seen before, with the ids `follow_apply` gave them; return how
        many, and whether that was all of them.

        Not all when another writer created some since `load`: those inserts were skipped, so the ids
        `follow_apply` holds for them name no person, and the caller must load the list again."""
        a, role = self.ROWS, sa.literal(str(self.c.role)).label("role")
        new = sa.select(a.c.username, role, a.c.person_id.label("id")).where(a.c.is_new == 1)
        expected = self.session.scalar(sa.select(sa.func.count()).where(a.c.is_new == 1))
        created = persons.create_missing(self.session, new, self.t)
        return created, created == expected

    def merge_roles(self) -> None:
        """Merge the list's role into the stored persons' roles: only the rows whose role changes are read."""
        a, role = self.ROWS, str(self.c.role)
        changed = role_changes_sql(a.c.role, role)
        seen = sa.select(a.c.person_id.label("id"), a.c.username, sa.literal(role).label("role"))
        persons.merge_seen(self.session, seen.where(a.c.listed == 1, a.c.is_new == 0, changed), self.t)

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
                run=parse_uuid(run_id) if run_id else None,
            )

    def group_names(self, query: NamesQuery) -> dict[str, NamesPage]:
        """One page of names per preview group, read-only from `follow_apply` with the very conditions the
        writes use, so the names shown and the counts applied cannot disagree (docs/operator.md#import-preview)."""
        groups = {
            "added": self.ADD,
            "removed": self.REMOVE,
            "created": "listed = 1 AND is_new = 1",
            "pending": f"({self.MISSING}) AND NOT ({self.REMOVE})",
        }
        search = query.search.strip().lower()[:64]
        like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = " AND coalesce(a.username, p.username) LIKE :like ESCAPE '\\'" if search else ""
        rows = "FROM {apply} a LEFT JOIN persons p ON p.id = a.person_id AND a.is_new = 0 WHERE "
        pages = {}
        for group in NAME_GROUPS:
            where = rows + groups[group] + matches
            total = int(self.run("SELECT count(*) " + where, like=like).scalar() or 0)
            last = max(total - 1, 0) // query.per_page * query.per_page  # a page past the end shows the last
            offset = min(query.offset(group), last)
            found = self.run(
                "SELECT coalesce(a.username, p.username) AS username, 1 - a.is_new AS person_exists "
                + where
                + " ORDER BY 1 LIMIT :limit OFFSET :offset",
                like=like,
                limit=query.per_page,
                offset=offset,
            )
            names = [PreviewName(name, bool(exists)) for name, exists in found]
            pages[group] = NamesPage(group, total, offset, query.per_page, names)
        return pages

    def to_create(self) -> int:
        """How many listed usernames name no person yet (the persons an apply would create)."""
        return int(self.run("SELECT count(*) FROM {apply} WHERE listed = 1 AND is_new = 1").scalar() or 0)

    def changed(self, action: str) -> sa.Select:
        """The person ids this apply followed (`follow`) or unfollowed (`unfollow`), read from `follow_apply`."""
        return sa.select(self.ROWS.c.person_id).where(text(self.ADD if action == "follow" else self.REMOVE))

    def _history(self, action: str, where: str, source: str, run_id) -> int:
        # An unfollow row records when the follow period it ends began (the newest follow before it).
        at = ":t" if action == "follow" else self.MISSED_AT.format(person="a.person_id")
        began = "NULL" if action == "follow" else PERIOD_START.format(person="a.person_id", at=at)
        written = self._insert_history(action, where, source, run_id, at, began)
        if written >= ANALYZE_AFTER:
            # A first list of 100,000 names leaves the planner thinking the history is nearly empty until
            # autovacuum gets to it: the next apply's PERIOD_START then walked the (direction, action) index
            # for every unfollow, 56 s instead of 6 s for 5,000 unfollows (docs/domain.md#follow-periods-table).
            sqlcompat.analyze(self.session, "follow_events", "follow_periods")
        return written

    def _insert_history(self, action: str, where: str, source: str, run_id, at: str, began: str) -> int:
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
            run=parse_uuid(run_id) if run_id else None,
        ).rowcount
