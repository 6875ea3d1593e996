"""publication consent

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:12:31.408215
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The server default makes every existing case "not consented": nothing is published
    # that a resident did not agree to at the review.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "publication_consent", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("publication_consent")
