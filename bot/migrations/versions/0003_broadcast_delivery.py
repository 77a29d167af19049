"""Broadcast delivery: chunks, final platform status, mass-send report, subscriber sync time

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("synced_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("msg_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("report", sa.JSON(), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chunk", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("status", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_deliveries_broadcast_chunk", ["broadcast_id", "chunk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_broadcast_chunk")
        batch_op.drop_column("status")
        batch_op.drop_column("chunk")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_column("report")
        batch_op.drop_column("msg_id")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("synced_at")
