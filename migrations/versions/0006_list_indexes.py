"""Indexes for the Users pages (docs/architecture.md#list-page): trigram username search, NULLS LAST sorts,
tag filter.

- `ix_persons_username_trgm`: GIN gin_trgm_ops on PostgreSQL so `username ILIKE '%x%'` uses an index
  (plain b-tree on SQLite, where the tables are small).
- `ix_persons_*_desc`: (column DESC NULLS LAST, id DESC) so "largest first, unknown last" sorts read an
  index in order on PostgreSQL; ascending sorts use the (column, id) indexes from 0001.
  SQLite already sorts NULLs last when descending, so there the index is (column DESC, id DESC).
- `ix_profiles_tags`: GIN on the JSONB tag list (`tags ? 'feet'`) on PostgreSQL.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DESC_INDEXES = {
    "ix_persons_last_seen_desc": "last_seen_at",
    "ix_persons_age_desc": "age",
    "ix_persons_num_followers_desc": "num_followers",
    "ix_persons_rank_desc": "rank",
}


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    nulls = " NULLS LAST" if postgres else ""
    for name, column in DESC_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON persons ({column} DESC{nulls}, id DESC)")
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_persons_username_trgm ON persons USING gin (username gin_trgm_ops)")
        op.execute("CREATE INDEX ix_profiles_tags ON profiles USING gin (tags)")
    else:
        op.execute("CREATE INDEX ix_persons_username_trgm ON persons (username)")
        op.execute("CREATE INDEX ix_profiles_tags ON profiles (tags)")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_profiles_tags")
    op.execute("DROP INDEX IF EXISTS ix_persons_username_trgm")
    for name in reversed(list(DESC_INDEXES)):
        op.execute(f"DROP INDEX IF EXISTS {name}")
