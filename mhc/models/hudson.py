"""Totals the database keeps for the Hudson page's "where followers come from" sections.

Each table is a sum per key over a history table, defined in mhc/services/owner/totals.py, which generates the
triggers that keep it equal to that aggregate in the statement of every insert, update or delete
(docs/domain.md#hudson-totals). Nothing else writes them.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import BigInteger, Index, Integer, Numeric, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.sources import Interaction

# The tips of a room by time, with what the page reads of them: the top tippers, the heatmap's partial hours
# and the per-broadcast tips read this index alone (migration 0026). Tips are a fraction of the events.
TIP_ONLY = text("type = 'tip'")
Index(
    "ix_interactions_tips",
    Interaction.room,
    Interaction.occurred_at,
    postgresql_include=["from_username", "amount", "person_id"],
    postgresql_where=TIP_ONLY,
    sqlite_where=TIP_ONLY,
)


class FollowSlot(db.Model):
    """Per direction and UTC hour of `observed_at`: the follow and unfollow rows of `follow_events`."""

    __tablename__ = "follow_slots"

    direction: Mapped[str] = mapped_column(String(16), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True, comment="Unix seconds of the hour start")
    follows: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unfollows: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class TipSlot(db.Model):
    """Per room and UTC hour of `occurred_at`: the tips of `interactions` and their tokens."""

    __tablename__ = "tip_slots"

    room: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True, comment="Unix seconds of the hour start")
    tips: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")


class FollowerLossSlot(db.Model):
    """Per UTC hour in which a follower's follow period began: how many of the periods that the
    follower's unfollow rows ended lasted at most 30, 60 and 90 days."""

    __tablename__ = "follower_loss_slots"

    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True, comment="Unix seconds of the hour start")
    ended_30: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    ended_60: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    ended_90: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


# Followers whose history is not one follow, optionally ended by one unfollow that records it: the retention
# cohorts correct the totals for them (docs/domain.md#hudson-totals).
IRREGULAR = (
    "follows + unfollows > 0 AND (follows <> 1 OR unfollows > 1 "
    "OR (unfollows = 1 AND (unrecorded > 0 OR period_seconds <> follow_seconds)))"
)


class FollowerShape(db.Model):
    """Per person: their follower rows in `follow_events` in a few sums that tell whether their history is a
    single follow, optionally ended by one unfollow that records when it began; or a follow, an unfollow
    recording it and a second follow, each of whose moments the sums give back."""

    __tablename__ = "follower_shapes"

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    follows: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unfollows: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unrecorded: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default="0", comment="Unfollows without a period start before them"
    )
    follow_seconds: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default="0", comment="Summed Unix seconds of the follows"
    )
    period_seconds: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default="0", comment="Summed Unix seconds of the unfollows' period starts"
    )
    unfollow_seconds: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default="0", comment="Summed Unix seconds of the unfollows"
    )
    follow_squares: Mapped[Decimal] = mapped_column(
        Numeric(40, 0), nullable=False, server_default="0", comment="Summed squares of the follows' seconds from 2027"
    )

    __table_args__ = (
        Index(
            "ix_follower_shapes_irregular",
            "person_id",
            postgresql_where=text(IRREGULAR),
            sqlite_where=text(IRREGULAR),
        ),
    )
