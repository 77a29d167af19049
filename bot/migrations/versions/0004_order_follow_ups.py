"""Order follow-ups: the refund (number, WeChat Pay's status, when the money went back) and the buyer's notice

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_no", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("refund_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("refunded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("notice", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("noticed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("noticed_at")
        batch_op.drop_column("notice")
        batch_op.drop_column("refunded_at")
        batch_op.drop_column("refund_state")
        batch_op.drop_column("refund_no")
