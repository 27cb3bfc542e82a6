"""A system user's own preferences: the panel's theme (docs/operator.md#light-and-dark-theme)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from mhc.models import SystemUser
from mhc.services import audit

# Each choice and the words the account page shows for it; "system" follows the device's light or dark setting.
THEMES = {
    "system": "Follow this device's setting",
    "light": "Light",
    "dark": "Dark",
}
DEFAULT_THEME = "system"


def theme_of(user) -> str:
    """The theme to draw the panel in for `user` (anyone not logged in, or an unknown value: follow the system)."""
    theme = getattr(user, "theme", None)
    return theme if theme in THEMES else DEFAULT_THEME


def set_theme(session: Session, user_id: uuid.UUID, theme: str, *, remote_addr: str | None = None) -> bool:
    """Store `theme` for the user and audit the change; False (nothing written) when it is unknown or unchanged."""
    user = session.get(SystemUser, user_id)
    if user is None or theme not in THEMES or user.theme == theme:
        return False
    changes = {"theme": [user.theme, theme]}
    user.theme = theme
    audit.record_change(session, user, "theme_change", actor_id=user.id, changes=changes, remote_addr=remote_addr)
    session.commit()
    return True
