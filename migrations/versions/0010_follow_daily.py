"""Per-day follow totals kept by triggers: the Unfollowed insights at any history size
(docs/domain.md#unfollow-insights).

`follow_daily` holds, per direction and UTC day, the number of follow and unfollow rows in
`follow_events` and the summed length of the follow periods those unfollows ended. Triggers on
`follow_events` keep it equal to that aggregate in the same statement as every insert (the ledger's
INSERT ... SELECT, COPY of the demo data), update (the period start the ledger fills in) and delete
(a person's history deleted with the person): statement-level with transition tables on PostgreSQL,
one row at a time on SQLite. Existing history is summed once here.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

def _pg_upsert(rows: str, sign: str) -> str:
    """Add (sign "") or take away (sign "-") the per-day totals of a transition table."""
    return f"""
        INSERT INTO follow_daily AS d (direction, day, follows, unfollows, periods, period_seconds)
        SELECT direction, (observed_at AT TIME ZONE 'UTC')::date,
               {sign}count(*) FILTER (WHERE action = 'follow'),
               {sign}count(*) FILTER (WHERE action = 'unfollow'),
               {sign}count(period_started_at) FILTER (WHERE action = 'unfollow'),
               {sign}coalesce(sum(extract(epoch FROM observed_at - period_started_at)::float8)
                         FILTER (WHERE action = 'unfollow'), 0)
        FROM {rows} GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (direction, day) DO UPDATE SET follows = d.follows + EXCLUDED.follows,
            unfollows = d.unfollows + EXCLUDED.unfollows, periods = d.periods + EXCLUDED.periods,
            period_seconds = d.period_seconds + EXCLUDED.period_seconds;"""


PG_FUNCTION = f"""
CREATE FUNCTION follow_daily_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN{_pg_upsert("old_rows", "-")}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN{_pg_upsert("new_rows", "")}
    END IF;
    RETURN NULL;
END $$
"""


PG_TRIGGERS = {
    "follow_daily_insert": "AFTER INSERT ON follow_events REFERENCING NEW TABLE AS new_rows",
    "follow_daily_update": "AFTER UPDATE ON follow_events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "follow_daily_delete": "AFTER DELETE ON follow_events REFERENCING OLD TABLE AS old_rows",
}


def _sqlite_upsert(row: str, sign: str) -> str:
    unfollow_with_start = f"{row}.action = 'unfollow' AND {row}.period_started_at IS NOT NULL"
    seconds = f"(julianday({row}.observed_at) - julianday({row}.period_started_at)) * 86400"
    return (
        "INSERT INTO follow_daily (direction, day, follows, unfollows, periods, period_seconds) VALUES ("
        f"{row}.direction, date({row}.observed_at), {sign}({row}.action = 'follow'), "
        f"{sign}({row}.action = 'unfollow'), {sign}({unfollow_with_start}), "
        f"{sign}(CASE WHEN {unfollow_with_start} THEN {seconds} ELSE 0 END)) "
        "ON CONFLICT (direction, day) DO UPDATE SET follows = follows + excluded.follows, "
        "unfollows = unfollows + excluded.unfollows, periods = periods + excluded.periods, "
        "period_seconds = period_seconds + excluded.period_seconds;"
    )


SQLITE_TRIGGERS = {
    "follow_daily_insert": ("AFTER INSERT ON follow_events", _sqlite_upsert("NEW", "")),
    "follow_daily_update": ("AFTER UPDATE ON follow_events", _sqlite_upsert("OLD", "-") + _sqlite_upsert("NEW", "")),
    "follow_daily_delete": ("AFTER DELETE ON follow_events", _sqlite_upsert("OLD", "-")),
}

BACKFILL = {
    "postgresql": (
        "SELECT direction, (observed_at AT TIME ZONE 'UTC')::date, count(*) FILTER (WHERE action = 'follow'), "
        "count(*) FILTER (WHERE action = 'unfollow'), count(period_started_at) FILTER (WHERE action = 'unfollow'), "
        "coalesce(sum(extract(epoch FROM observed_at - period_started_at)::float8) "
        "FILTER (WHERE action = 'unfollow'), 0) FROM follow_events GROUP BY 1, 2"
    ),
    "sqlite": (
        "SELECT direction, date(observed_at), sum(action = 'follow'), sum(action = 'unfollow'), "
        "sum(action = 'unfollow' AND period_started_at IS NOT NULL), coalesce(sum(CASE WHEN action = 'unfollow' "
        "AND period_started_at IS NOT NULL THEN (julianday(observed_at) - julianday(period_started_at)) * 86400 "
        "END), 0) FROM follow_events GROUP BY 1, 2"
    ),
}


def upgrade():
    op.create_table(
        "follow_daily",
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("follows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unfollows", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "periods", sa.Integer(), server_default="0", nullable=False, comment="Unfollows with a recorded period start"
        ),
        sa.Column(
            "period_seconds", sa.Float(), server_default="0", nullable=False, comment="Summed length of those periods"
        ),
        sa.PrimaryKeyConstraint("direction", "day", name=op.f("pk_follow_daily")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        "INSERT INTO follow_daily (direction, day, follows, unfollows, periods, period_seconds) " + BACKFILL[dialect]
    )
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for name, when in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION follow_daily_apply()")
    else:
        for name, (when, body) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body} END")


def downgrade():
    dialect = op.get_bind().dialect.name
    for name in PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON follow_events" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS follow_daily_apply()")
    op.drop_table("follow_daily")
