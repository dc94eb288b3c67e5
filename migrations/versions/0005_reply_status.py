"""a reply's status holds every status Twilio documents (partially_delivered is 19 characters)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column(
            'status', existing_type=sa.String(length=16), type_=sa.String(length=32),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column(
            'status', existing_type=sa.String(length=32), type_=sa.String(length=16),
            existing_nullable=False,
        )
