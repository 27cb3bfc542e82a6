"""System users: the people who log into the panel, kept apart from platform users."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mhc.extensions import db
from mhc.models.types import UTCDateTime, utcnow

role_permissions = Table(
    "system_role_permissions",
    db.metadata,
    Column("role_id", Integer, ForeignKey("system_roles.id", ondelete="CASCADE"), primary_key=True),
    Column("permission_id", Integer, ForeignKey("system_permissions.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")),
)


class SystemPermission(db.Model):
    """A named capability such as view_users; roles hold a set of them."""

    __tablename__ = "system_permissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    resource: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object | None] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )

    def __str__(self) -> str:
        return self.name


class SystemRole(db.Model):
    """admin, subscriber, viewer (and any an admin adds)."""

    __tablename__ = "system_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object | None] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    permissions: Mapped[list[SystemPermission]] = relationship(
        secondary=role_permissions, order_by="SystemPermission.name"
    )
    # Members of this role must turn on two-factor login before they can use the panel (docs/production.md).
    require_two_factor: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )

    def __str__(self) -> str:
        return self.name


class SystemUser(db.Model):
    """A person who logs into the panel."""

    __tablename__ = "system_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    email: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    role_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("system_roles.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[object | None] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[object | None] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    last_login_at: Mapped[object | None] = mapped_column(UTCDateTime)
    home_seen_at: Mapped[object | None] = mapped_column(
        UTCDateTime, comment="When this user last opened Home: its 'since your last visit' starts here"
    )
    theme: Mapped[str] = mapped_column(
        Text,
        nullable=False,
        default="system",
        server_default=text("'system'"),
        comment="The panel's colours for this user: light, dark, or system (follow the device's setting)",
    )
    # Bumped whenever every session of this user must end (password, role, (de)activation, "log out everywhere");
    # a login session opened under an older version is refused.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default=text("1"))

    role: Mapped[SystemRole | None] = relationship()

    __table_args__ = (
        Index("idx_system_users_email", "email"),
        Index("idx_system_users_role", "role_id"),
    )

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def permission_names(self) -> set[str]:
        """Names of the permissions this user's role grants."""
        return {p.name for p in self.role.permissions} if self.role else set()

    def __str__(self) -> str:
        return self.username


class SystemSession(db.Model):
    """One login: the signed session cookie carries a random token, this row its SHA-256 digest.

    Logout, expiry and a bumped session version end the row; a request whose row is ended or unknown is anonymous.
    """

    __tablename__ = "system_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="SHA-256 hex digest of the cookie's token")
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="CASCADE"), nullable=False)
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, comment="The user's version at login")
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    last_seen_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, comment="Updated at most once a minute")
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("idx_system_sessions_user", "user_id", "ended_at"),)


class SystemTwoFactor(db.Model):
    """A system user's TOTP secret: pending until confirmed with a current code, then asked at every login."""

    __tablename__ = "system_two_factor"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("system_users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(Text, nullable=False, comment="Encrypted TOTP secret; never shown again")
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    confirmed_at: Mapped[object | None] = mapped_column(UTCDateTime, comment="NULL while enrolment is pending")
    last_used_step: Mapped[int | None] = mapped_column(
        BigInteger, comment="TOTP time step of the last accepted code; older or equal steps are replays"
    )


class SystemRecoveryCode(db.Model):
    """One single-use recovery code of a system user, kept as the SHA-256 of a high-entropy random code."""

    __tablename__ = "system_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="CASCADE"), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("idx_system_recovery_codes_user", "user_id", "code_hash"),)
