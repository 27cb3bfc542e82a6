"""Apply a parsed profile page: snapshot, profile fields, current state, follow observation, lookup.

One profile is one transaction. A page that failed to parse only marks the person's lookup failed
(with the reason): it is not evidence of anything else, so nothing else changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.models import AffiliateSnapshot, Person, PriorityLookup, Profile, Role, Snapshot, parse_uuid
from mhc.scraping.parsers.images import is_placeholder_image
from mhc.scraping.parsers.profile import ProfileParseResult
from mhc.services import persons
from mhc.services.follows.follow_ledger import FollowObservation, apply_observations

SOURCE = "profile_scrape"
MIN_AGE, MAX_AGE = 18, 98  # same plausibility window as the Affiliate API poller

# profile column -> parse result field; only non-empty values overwrite what is stored.
PROFILE_FIELDS = {
    "display_name": "display_name",
    "age": "age",
    "birth_date": "birth_date",
    "gender": "gender",
    "gender_raw": "gender_raw",
    "interested_in": "interested_in",
    "location": "location",
    "languages": "languages",
    "body_type": "body_type",
    "smoke_drink": "smoke_drink",
    "body_decorations": "body_decorations",
    "bio": "bio",
    "wish_list_url": "wish_list_url",
    "room_subject": "room_subject",
    "tags": "tags",
    "follower_count": "followers",
    "social_links": "social_links",
    "photo_sets": "photo_sets",
    "has_fan_club": "has_fan_club",
    "online": "online",
}

# An offline room keeps showing its last subject: stale, so only a live page updates these.
LIVE_ONLY_FIELDS = {"room_subject", "tags"}


@dataclass
class ProfileApplyResult:
    """What applying one parsed page did."""

    ok: bool
    reason: str | None = None
    snapshot_created: bool = False
    follow_observed: str | None = None  # "follow" | "unfollow" | None


def apply_profile_result(
    session: Session, person_id, result: ProfileParseResult, observed_at: datetime, run_id=None
) -> ProfileApplyResult:
    """Record one parsed profile page for a person in one transaction; idempotent for the same input."""
    person = session.get(Person, parse_uuid(person_id))
    if person is None:
        raise LookupError(f"no person with id {person_id}")
    lookup = session.scalar(select(PriorityLookup).where(PriorityLookup.person_id == person.id))
    if not result.ok:
        if lookup is not None:
            lookup.status, lookup.failure_reason = "failed", result.reason
        session.commit()
        return ProfileApplyResult(ok=False, reason=result.reason)
    try:
        outcome = ProfileApplyResult(ok=True)
        outcome.snapshot_created = _store_snapshot(session, person, result, observed_at, run_id)
        profile = person.profile or Profile(person=person)
        session.add(profile)
        _update_profile(profile, result, observed_at)
        _update_person(session, person, profile, result, observed_at, outcome.snapshot_created)
        outcome.follow_observed = _observe_follow(session, person, result, observed_at)
        if lookup is not None:
            _complete_lookup(lookup, observed_at)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return outcome


def _store_snapshot(session: Session, person: Person, result: ProfileParseResult, observed_at, run_id) -> bool:
    exists = session.scalar(
        select(Snapshot.id).where(
            Snapshot.person_id == person.id, Snapshot.source == SOURCE, Snapshot.observed_at == observed_at
        )
    )
    if exists is not None:
        return False
    data = result.to_dict()
    session.add(
        Snapshot(
            person_id=person.id,
            source=SOURCE,
            observed_at=observed_at,
            job_run_id=parse_uuid(run_id) if run_id else None,
            follower_count=result.followers,
            online=result.online,
            data=data,
        )
    )
    return True


def _update_profile(profile: Profile, result: ProfileParseResult, observed_at: datetime) -> None:
    data = result.to_dict()
    for column, key in PROFILE_FIELDS.items():
        value = data[key]
        if column in LIVE_ONLY_FIELDS and result.online is not True:
            continue
        if value is None or value == "" or value == []:
            continue
        setattr(profile, column, value)
    if result.age is not None:
        profile.age_flagged = result.age_flagged
    if not is_placeholder_image(result.image_url):
        profile.image_url = result.image_url
    profile.last_scraped_at = observed_at


def _update_person(
    session: Session, person: Person, profile: Profile, result: ProfileParseResult, observed_at, counted: bool
) -> None:
    age = _newest_affiliate_age(session, person.id)
    if age is None and profile.age is not None and not profile.age_flagged:
        age = profile.age
    if age is not None:
        person.age = age
    if result.followers is not None:
        person.num_followers = result.followers
    if not is_placeholder_image(result.image_url):
        person.image_url = result.image_url
    if result.online:  # a live room is a sighting; the page says nothing about the role
        persons.ensure_persons(session, {person.username: Role.UNKNOWN}, observed_at, online=True)
    if counted:
        person.snapshots_count = (person.snapshots_count or 0) + 1


def _newest_affiliate_age(session: Session, person_id) -> int | None:
    """The Affiliate API age wins over the profile's: the newest plausible one, if any."""
    stmt = (
        select(AffiliateSnapshot.age)
        .where(
            AffiliateSnapshot.person_id == person_id,
            AffiliateSnapshot.age.between(MIN_AGE, MAX_AGE),
        )
        .order_by(AffiliateSnapshot.observed_at.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def _observe_follow(session: Session, person: Person, result: ProfileParseResult, observed_at) -> str | None:
    """Hand a follow state seen while logged in as the owner to the follow ledger (same transaction)."""
    if result.following is None:
        return None
    action = "follow" if result.following else "unfollow"
    observation = FollowObservation(person.username, "following", action, observed_at, SOURCE)
    apply_observations(session, [observation], commit=False)
    return action


def _complete_lookup(lookup: PriorityLookup, observed_at: datetime) -> None:
    lookup.status, lookup.failure_reason = "complete", None
    lookup.completed_at = observed_at
    lookup.last_checked_at = observed_at
