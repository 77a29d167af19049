"""Unanswered messages: what the knowledge base could not answer, for the admins' gaps report

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unanswered",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asker", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("reply", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("picked", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unanswered", schema=None) as batch_op:
        batch_op.create_index("ix_unanswered_asker_created", ["asker", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_unanswered_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unanswered", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unanswered_created_at"))
        batch_op.drop_index("ix_unanswered_asker_created")
    op.drop_table("unanswered")
