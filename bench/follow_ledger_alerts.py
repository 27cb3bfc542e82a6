"""Part of bench/follow_ledger.py: a 100k-name list apply with and without alert rules, same run.

The list unfollows 5,000 followers (every tenth of them tipped, a thousand within the window) and adds 5,000
(some models with many followers). Alternating runs, median of five each; deliveries are written (one per
rule) but not sent: the dispatcher is off, so only the work inside the apply's transaction is measured.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta

import sqlalchemy as sa

from mhc import sqlcompat
from mhc.extensions import db
from mhc.models import AlertDelivery, AlertRule, utcnow
from mhc.services import alerts
from mhc.services.alerts import firing, outbox
from mhc.services.follows.follow_ledger import apply_follow_list

SIZE, CHANGED, ROUNDS = 100_000, 5_000, 5


def compare(persons: int, reset) -> None:
    """Print the apply's seconds with no rules and with four, and the overhead."""
    outbox.set_dispatcher(None)  # write the outbox rows, send nothing
    assert persons >= SIZE + CHANGED, "the comparison needs at least 105,000 persons"
    names = [f"user_{i}" for i in range(SIZE + CHANGED)]  # a tenth are models (the seed's rule)
    before, after = names[:SIZE], names[CHANGED : SIZE + CHANGED]  # 5,000 leave, 5,000 arrive
    _tips(before[:CHANGED])
    channel = alerts.add_channel(db.session, "bench", "json://127.0.0.1:9/bench", None)
    times: dict[bool, list[float]] = {False: [], True: []}
    hook, inside = _timed_hook(), []
    for round_no in range(ROUNDS):
        for with_rules in (False, True) if round_no % 2 == 0 else (True, False):  # no order bias
            _rules(channel.id, with_rules)
            reset()
            start_at = utcnow() - timedelta(hours=2)
            apply_follow_list(db.session, "follower", before, start_at, "manual_import")
            db.session.execute(sa.delete(AlertDelivery))  # the setup's own model alert
            db.session.commit()
            hook.seconds = 0.0
            start = time.perf_counter()
            result = apply_follow_list(db.session, "follower", after, start_at + timedelta(hours=1), "manual_import")
            times[with_rules].append(time.perf_counter() - start)
            if with_rules:
                inside.append(hook.seconds)
            assert (result.added, result.removed) == (CHANGED, CHANGED), result
            written = db.session.query(AlertDelivery).count()
            assert written == (4 if with_rules else 0), written
    plain, ruled, rules = (statistics.median(x) for x in (times[False], times[True], inside))
    print(f"\nalert rules on a {SIZE:,}-name apply ({CHANGED:,} unfollow, {CHANGED:,} follow), median of {ROUNDS}")
    print(f"{'no rules s':>11} {'4 rules s':>10} {'overhead':>9} {'rules alone s':>14} {'of apply':>9}")
    overhead, share = 100 * (ruled - plain) / plain, 100 * rules / ruled
    print(f"{plain:>11.2f} {ruled:>10.2f} {overhead:>8.1f}% {rules:>14.3f} {share:>8.1f}%", flush=True)


class _Clock:
    seconds = 0.0


def _timed_hook() -> _Clock:
    """Time the rules' own statements inside the apply (the apply's total is noisy on a shared machine)."""
    clock, real = _Clock(), firing.on_list_apply

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            clock.seconds += time.perf_counter() - start

    firing.on_list_apply = timed
    return clock


def _rules(channel_id: int, wanted: bool) -> None:
    db.session.execute(sa.delete(AlertDelivery))
    db.session.execute(sa.delete(AlertRule))
    db.session.commit()
    if not wanted:
        return
    for name, kind, fields in (
        ("tippers", "tipper_unfollow", {"min_tokens": 100}),
        ("recent tippers", "tipper_unfollow", {"min_tokens": 50, "window_days": 30}),
        ("everyone", "any_unfollow", {}),
        ("models", "model_follow", {"min_followers": 1000}),
    ):
        alerts.save_rule(db.session, None, {"name": name, "kind": kind, "channel_id": channel_id, **fields}, None)


def _tips(leaving: list[str]) -> None:
    """Every tenth person of the ones that will leave tipped (lifetime); a thousand of them in the window."""
    persons = db.metadata.tables["persons"]
    tippers = leaving[::10]
    db.session.execute(persons.update().where(persons.c.username.in_(tippers)).values(tipped_tokens=500))
    db.session.execute(
        persons.update()
        .where(persons.c.username.like("user_%"))
        .where(persons.c.role == "MODEL")
        .values(num_followers=5000)
    )
    ids = dict(
        db.session.execute(sa.select(persons.c.username, persons.c.id).where(persons.c.username.in_(tippers))).all()
    )
    at = utcnow() - timedelta(days=3)
    rows = [
        {
            "event_id": uuid.uuid4().hex,
            "type": "tip",
            "person_id": ids[name],
            "from_username": name,
            "room": "hudson",
            "is_direct": False,
            "amount": 100,
            "occurred_at": at,
            "is_flagged": False,
        }
        for name in tippers[:1000]
        if name in ids
    ]
    sqlcompat.insert_rows(db.session, db.metadata.tables["interactions"], rows)
    db.session.commit()
