"""Secrets at rest: session cookies and API tokens encrypted with Fernet.

Every `stored_secrets` row written as plain text is encrypted under the first key of MHC_SECRETS_KEY
(the app's SECRETS_KEYS: `flask db upgrade` runs inside the app, so the key is read exactly as the app
reads it). Ciphertext carries a `fernet:` prefix; rows already carrying it are left alone, so running the
upgrade over a partly encrypted table is safe. Downgrade decrypts every row back to plain text.

The encryption is written out here rather than imported, so this step keeps doing what it did when the
app's helpers change later.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

PREFIX = "fernet:"
UNDECRYPTABLE = "stored secrets cannot be decrypted with MHC_SECRETS_KEY: was the key changed?"
SECRETS = sa.table("stored_secrets", sa.column("name", sa.String), sa.column("value", sa.Text))


def _fernet() -> MultiFernet:
    keys = current_app.config.get("SECRETS_KEYS") or ()
    if not keys:
        raise RuntimeError("MHC_SECRETS_KEY is not configured: stored secrets cannot be encrypted")
    return MultiFernet([Fernet(k) for k in keys])


def _rewrite(change) -> None:
    conn = op.get_bind()
    for name, value in conn.execute(sa.select(SECRETS.c.name, SECRETS.c.value)).all():
        new = change(value)
        if new != value:
            conn.execute(sa.update(SECRETS).where(SECRETS.c.name == name).values(value=new))


def upgrade():
    fernet = _fernet()
    _rewrite(lambda v: v if v.startswith(PREFIX) else PREFIX + fernet.encrypt(v.encode("utf-8")).decode("ascii"))


def downgrade():
    fernet = _fernet()

    def plain(value: str) -> str:
        if not value.startswith(PREFIX):
            return value
        try:
            return fernet.decrypt(value[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise RuntimeError(UNDECRYPTABLE) from None

    _rewrite(plain)
