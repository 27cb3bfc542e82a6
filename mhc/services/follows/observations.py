"""Single follow/unfollow observations (Events API, profile pages) applied to the follow state, in order.

The rules are the ledger's (mhc/services/follows/follow_ledger.py); a single observation never unfollows in bulk.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.orm import Session

from mhc.models import FollowEvent, Profile, merge_role, normalise_username, utcnow
from mhc.services import persons
from mhc.services.alerts import firing as alert_firing
from mhc.services.alerts import outbox as alert_outbox
from mhc.services.follows.direction import Columns
from mhc.services.follows.ledger_types import COLUMNS, SOURCES, ApplyResult, FollowListError, FollowObservation
from mhc.services.follows.list_apply import PERIOD_START

CHUNK = 500  # names per IN (...) list: SQLite allows 32k parameters, keep statements small anyway


def apply_observations(session: Session, observations: list[FollowObservation], *, commit: bool = True) -> ApplyResult:
    """Apply single follow/unfollow observations in order (same rules; never a bulk unfollow); idempotent."""
    session.flush()
    result = ApplyResult(direction=",".join(sorted({o.direction for o in observations})) or "")
    todo = _valid(observations)
    todo = _drop_known_events(session, todo)
    if not todo:
        _finish(session, commit)
        return result
    profiles, result.created = _profiles_for(session, todo)
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
    alerts = 0
    if rows:
        session.execute(insert(FollowEvent), rows)
        _fill_period_starts(session, {(r["person_id"], r["direction"]) for r in rows if r["action"] == "unfollow"})
        alerts = alert_firing.on_observations(session, rows)  # in this transaction (docs/alerts.md#when-rules-fire)
    _finish(session, commit)
    if alerts and commit:  # a caller that commits later leaves them to the scheduler's next tick
        alert_outbox.dispatch()
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


def _profiles_for(session: Session, todo: list) -> tuple[dict[str, Profile], int]:
    """Profiles by username: persons created or merged by services.persons, missing profiles added."""
    roles, first_seen = {}, {}
    for name, obs in todo:
        roles[name] = merge_role(roles.get(name), COLUMNS[obs.direction].role)
        first_seen.setdefault(name, obs.observed_at)
    person_ids, created = {}, 0
    for at in sorted(set(first_seen.values())):  # a new person is first seen at its first observation
        ids = persons.ensure_persons(session, {n: roles[n] for n, t in first_seen.items() if t == at}, at)
        person_ids.update(ids)
        created += ids.created
    ids = list(person_ids.values())
    profiles = {}
    for i in range(0, len(ids), CHUNK):
        profiles.update(
            {p.person_id: p for p in session.scalars(select(Profile).where(Profile.person_id.in_(ids[i : i + CHUNK])))}
        )
    out = {}
    for name, person_id in person_ids.items():
        profile = profiles.get(person_id)
        if profile is None:
            profile = Profile(person_id=person_id, following=False, follower=False)
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
    if value is None:
        return None
    if isinstance(value, str):  # SQLite max() over a typed column can come back as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
