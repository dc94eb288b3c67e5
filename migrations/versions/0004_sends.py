"""sends and the outbox: blasts, test sends and election reminder plans; one outbox row per
recipient per send, created before anything is sent

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('polling_place_ref', sa.String(length=300), nullable=True))
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags', sa.String(length=500), nullable=True))

    op.create_table('sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('texts', sa.JSON(), nullable=True),
    sa.Column('message_key', sa.String(length=64), nullable=True),
    sa.Column('templates', sa.JSON(), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=True),
    sa.Column('election_date', sa.Date(), nullable=True),
    sa.Column('reminder', sa.String(length=32), nullable=True),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
    sa.ForeignKeyConstraint(['parent_id'], ['sends.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('election_date', 'reminder', name='uq_send_reminder')
    )
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sends_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sends_send_at'), ['send_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sends_status'), ['status'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('send_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('zip', sa.String(length=16), nullable=True),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('to_address', sa.String(length=64), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('content_sid', sa.String(length=64), nullable=True),
    sa.Column('sending_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('twilio_sid', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['send_id'], ['sends.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('send_id', 'contact_id', name='uq_outbox_send_contact'),
    sa.UniqueConstraint('twilio_sid')
    )
    op.create_table('sender_pace',
    sa.Column('sender', sa.String(length=64), nullable=False),
    sa.Column('next_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('sender')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_contact_sending', ['contact_id', 'sending_at'], unique=False)
        batch_op.create_index('ix_outbox_due', ['status', 'available_at'], unique=False)
        batch_op.create_index('ix_outbox_send_status', ['send_id', 'status'], unique=False)



def downgrade() -> None:
    op.drop_table('sender_pace')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_send_status')
        batch_op.drop_index('ix_outbox_due')
        batch_op.drop_index('ix_outbox_contact_sending')

    op.drop_table('outbox')
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sends_status'))
        batch_op.drop_index(batch_op.f('ix_sends_send_at'))
        batch_op.drop_index(batch_op.f('ix_sends_organization_id'))

    op.drop_table('sends')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('tags')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('polling_place_ref')
