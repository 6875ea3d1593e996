"""verdicts: the residents' verdict on closed cases

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-05 04:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verdicts",
        sa.Column("id", bot.storage.types.RowId(), nullable=False),
        sa.Column("case_id", bot.storage.types.RowId(), nullable=False),
        sa.Column("district_number", sa.String(length=2), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=True),
        sa.Column("closed_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("asked_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("quotable", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_verdicts_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdicts")),
        sa.UniqueConstraint("case_id", name=op.f("uq_verdicts_case_id")),
    )
    op.create_index("ix_verdicts_closed", "verdicts", ["closed_at", "district_number"])


def downgrade() -> None:
    op.drop_index("ix_verdicts_closed", table_name="verdicts")
    op.drop_table("verdicts")
