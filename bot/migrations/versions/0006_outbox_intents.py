"""outbox intents

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 22:40:00

The outbox stores what to say (an intent and its parameters), rendered at delivery in the
recipient's language; rows queued before keep their rendered payload and still deliver.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intent", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.alter_column("payload", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    # Unsent intents cannot be rendered without the bot: they are dropped with their columns.
    op.execute("DELETE FROM outbox WHERE payload IS NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("payload", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("language")
        batch_op.drop_column("params")
        batch_op.drop_column("intent")
