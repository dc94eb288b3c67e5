"""lift: holdout experiments, assignments, matched vote history; memberships' birth dates

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lift_experiments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_date', sa.Date(), nullable=False),
    sa.Column('share', sa.Float(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('by_history', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('election_date')
    )
    op.create_table('lift_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_date', sa.Date(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('layout', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('unreadable', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('lift_sends',
    sa.Column('send_id', sa.Integer(), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['lift_experiments.id'], ),
    sa.ForeignKeyConstraint(['send_id'], ['sends.id'], ),
    sa.PrimaryKeyConstraint('send_id')
    )
    with op.batch_alter_table('lift_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lift_sends_experiment_id'), ['experiment_id'], unique=False)

    op.create_table('lift_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('arm', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('block', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('history_class', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.ForeignKeyConstraint(['experiment_id'], ['lift_experiments.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('experiment_id', 'contact_id', name='uq_lift_assignment')
    )
    with op.batch_alter_table('lift_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_lift_assignment_block', ['experiment_id', 'block'], unique=False)

    op.create_table('lift_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('election_date', sa.Date(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('voted', sa.Boolean(), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('matched_by', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('household', sa.BigInteger(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('label', 'contact_id', name='uq_lift_vote')
    )
    with op.batch_alter_table('lift_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lift_votes_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lift_votes_election_date'), ['election_date'], unique=False)

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('birth_date')

    with op.batch_alter_table('lift_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lift_votes_election_date'))
        batch_op.drop_index(batch_op.f('ix_lift_votes_contact_id'))
    op.drop_table('lift_votes')
    with op.batch_alter_table('lift_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_lift_assignment_block')
    op.drop_table('lift_assignments')
    with op.batch_alter_table('lift_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lift_sends_experiment_id'))
    op.drop_table('lift_sends')
    op.drop_table('lift_imports')
    op.drop_table('lift_experiments')
