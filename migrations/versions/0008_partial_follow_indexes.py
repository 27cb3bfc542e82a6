"""Partial indexes where most rows have nothing to index (cheaper follow-list applies:
docs/architecture.md#follow-sync).

A follow-list apply rewrites up to every listed profile and appends a history row per change. PostgreSQL
inserts a new entry into every index that covers a rewritten row, so indexes that mostly hold "not
following", "no tags" or "no event id" entries cost each apply without helping any query:

- `ix_profiles_following` / `ix_profiles_follower`: (since) WHERE flag, instead of (flag, since). The
  Following and Followers tabs filter on the flag, so they read the same ordered entries as before.
- `ix_profiles_tags` (PostgreSQL GIN): WHERE tags IS NOT NULL; a tag filter (`tags ? 'x'`) implies it.
- `ix_follow_events_event_id`: WHERE event_id IS NOT NULL; only Events API rows carry one.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _true(dialect: str) -> str:
    # SQLAlchemy writes `flag = true()` as `flag = 1` on SQLite, which only uses a partial index whose
    # predicate it finds verbatim in the query.
    return "" if dialect == "postgresql" else " = 1"


def upgrade():
    dialect = op.get_bind().dialect.name
    for flag in ("following", "follower"):
        op.execute(f"DROP INDEX IF EXISTS ix_profiles_{flag}")
        op.execute(f"CREATE INDEX ix_profiles_{flag} ON profiles ({flag}_since) WHERE {flag}{_true(dialect)}")
    op.execute("DROP INDEX IF EXISTS ix_profiles_tags")
    if dialect == "postgresql":
        op.execute("CREATE INDEX ix_profiles_tags ON profiles USING gin (tags) WHERE tags IS NOT NULL")
    else:
        op.execute("CREATE INDEX ix_profiles_tags ON profiles (tags) WHERE tags IS NOT NULL")
    op.execute("DROP INDEX IF EXISTS ix_follow_events_event_id")
    op.execute("CREATE INDEX ix_follow_events_event_id ON follow_events (event_id) WHERE event_id IS NOT NULL")


def downgrade():
    dialect = op.get_bind().dialect.name
    op.execute("DROP INDEX IF EXISTS ix_follow_events_event_id")
    op.execute("CREATE INDEX ix_follow_events_event_id ON follow_events (event_id)")
    op.execute("DROP INDEX IF EXISTS ix_profiles_tags")
    if dialect == "postgresql":
        op.execute("CREATE INDEX ix_profiles_tags ON profiles USING gin (tags)")
    else:
        op.execute("CREATE INDEX ix_profiles_tags ON profiles (tags)")
    for flag in ("following", "follower"):
        op.execute(f"DROP INDEX IF EXISTS ix_profiles_{flag}")
        op.execute(f"CREATE INDEX ix_profiles_{flag} ON profiles ({flag}, {flag}_since)")
