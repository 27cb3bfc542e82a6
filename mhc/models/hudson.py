"""Totals the database keeps for the Hudson page's "where followers come from" sections.

Each table is a sum per key over a history table, defined in mhc/services/owner/totals.py, which generates the
triggers that keep it equal to that aggregate in the statement of every insert, update or delete
(docs/domain.md#hudson-totals). Nothing else writes them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, text
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

