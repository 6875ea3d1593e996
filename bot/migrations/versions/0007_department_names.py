"""department names

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 00:15:00

Coordinators correct a department's name from the chat (`/fachbereich 66 Tiefbau`); the
correction overrides the name shipped in bot/data/departments.json.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_names",
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["persons.id"],
            name=op.f("fk_department_names_changed_by_id_persons"),
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_department_names")),
    )


def downgrade() -> None:
    op.drop_table("department_names")
