"""Which follow list: whom the owner follows, or who follows the owner.

Parsed once where a value comes in (CLI argument, form field, job argument) and passed as a `Direction`
everywhere inside. Everything that differs by direction lives here: the profile columns that hold its
state, the role its lists imply, the list pages a browser read walks, and how it is spelled on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mhc.models import Role


@dataclass(frozen=True)
class Columns:
    """The profile columns that hold one direction's state, and the role its lists imply."""

    flag: str
    since: str
    ended: str
    checked: str
    role: str


class Direction(StrEnum):
    """A follow direction; its value is what the database stores (`follow_events.direction`, ...)."""

    FOLLOWING = "following"
    FOLLOWER = "follower"

    @classmethod
    def parse(cls, value: str | None) -> Direction:
        """The direction a CLI argument, form field or job argument names, else ValueError.

        Screens and URLs say "followers"; the database says "follower": both are accepted."""
        found = _SPELLINGS.get(value) if isinstance(value, str) else None
        if found is None:
            raise ValueError(f"direction must be following or followers, not {value!r}")
        return found

    @property
    def label(self) -> str:
        """How screens, URLs and CLI arguments spell it: "following" or "followers"."""
        return "following" if self is Direction.FOLLOWING else "followers"

    @property
    def title(self) -> str:
        """The list's name in headings and buttons: "Following" or "Followers"."""
        return self.label.capitalize()

    @property
    def description(self) -> str:
        """Whose follow, in words."""
        return "whom the owner follows" if self is Direction.FOLLOWING else "who follows the owner"

    @property
    def columns(self) -> Columns:
        """The profile columns holding this direction's state."""
        return _COLUMNS[self]

    @property
    def role(self) -> str:
        """The role a person on this list has (following: a model; follower: a viewer)."""
        return _COLUMNS[self].role

    @property
    def page_kinds(self) -> tuple[str, ...]:
        """The list pages a complete read walks, in order (scraping/pages/follow_lists.py)."""
        return ("online", "offline") if self is Direction.FOLLOWING else ("followers",)


_SPELLINGS = {"following": Direction.FOLLOWING, "followers": Direction.FOLLOWER, "follower": Direction.FOLLOWER}
_COLUMNS = {
    Direction.FOLLOWING: Columns(
        "following", "following_since", "unfollowed_at", "following_checked_at", Role.MODEL.value
    ),
    Direction.FOLLOWER: Columns(
        "follower", "follower_since", "unfollower_at", "follower_checked_at", Role.VIEWER.value
    ),
}
