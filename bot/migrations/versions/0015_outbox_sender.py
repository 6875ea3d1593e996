"""outbox sender

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 05:00:00

A message someone sends through the bot (a manager's answer to a resident) remembers its
sender, so a delivery that fails later is reported back to them once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_id", bot.storage.types.RowId(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_sender_id_persons"), "persons", ["sender_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_sender_id_persons"), type_="foreignkey")
        batch_op.drop_column("sender_id")
