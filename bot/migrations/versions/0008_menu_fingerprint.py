"""menu fingerprint

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 09:00:00

Staff get Telegram's command menu of their roles in their own chat; the fingerprint of the menu
last set there lets the bot re-send it only when roles, language or texts changed, and remove it
when the roles end.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("menu_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("menu_fingerprint")
