"""voter tools: elections, polling places and their sources, precincts, street segments, the
voter roll (hashed name keys, no names or addresses) and registration-check counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('elections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('counties', sa.JSON(), nullable=True),
    sa.Column('polls_open', sa.Time(), nullable=True),
    sa.Column('polls_close', sa.Time(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('registration_deadline', sa.Date(), nullable=True),
    sa.Column('same_day_registration', sa.Boolean(), nullable=True),
    sa.Column('same_day_where', sa.Text(), nullable=True),
    sa.Column('early_voting_start', sa.Date(), nullable=True),
    sa.Column('early_voting_end', sa.Date(), nullable=True),
    sa.Column('links', sa.JSON(), nullable=True),
    sa.Column('office_name', sa.String(length=200), nullable=True),
    sa.Column('office_phone', sa.String(length=32), nullable=True),
    sa.Column('office_url', sa.String(length=500), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'name', 'date', name='uq_election_source_name_date')
    )
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elections_date'), ['date'], unique=False)

    # Rows of one place source refer to each other without foreign keys (precinct -> places,
    # segment -> precinct, voter key -> voter): they are deleted together by source, and an
    # unindexed child column would make each parent delete scan the child table.
    op.create_table('precinct_places',
    sa.Column('precinct_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('precinct_id', 'place_id')
    )
    op.create_table('voter_keys',
    sa.Column('key', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('voter_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('key', 'voter_id')
    )
    op.create_table('voter_rolls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('not_registered', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('place_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('feed_date', sa.Date(), nullable=True),
    sa.Column('election_id', sa.Integer(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('problems', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('place_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_place_sources_name'), ['name'], unique=False)

    op.create_table('registration_checks',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.PrimaryKeyConstraint('contact_id', 'checked_on')
    )
    op.create_table('voters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roll_id', sa.Integer(), nullable=False),
    sa.Column('dob', sa.Date(), nullable=False),
    sa.Column('zip', sa.String(length=5), nullable=False),
    sa.Column('county', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('registration_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['roll_id'], ['voter_rolls.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('polling_places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('zip', sa.String(length=5), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('located_by', sa.String(length=8), nullable=True),
    sa.Column('is_polling_place', sa.Boolean(), nullable=False),
    sa.Column('is_vote_center', sa.Boolean(), nullable=False),
    sa.Column('is_early_voting', sa.Boolean(), nullable=False),
    sa.Column('is_drop_box', sa.Boolean(), nullable=False),
    sa.Column('languages', sa.String(length=100), nullable=True),
    sa.Column('accessible', sa.Boolean(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['place_sources.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('polling_places', schema=None) as batch_op:
        batch_op.create_index('ix_polling_places_lat_lng', ['lat', 'lng'], unique=False)
        batch_op.create_index('ix_polling_places_source_zip', ['source_id', 'zip'], unique=False)

    op.create_table('precincts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('locality', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['place_sources.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('precincts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_precincts_source_id'), ['source_id'], unique=False)

    op.create_table('street_segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('precinct_id', sa.Integer(), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=False),
    sa.Column('start_house', sa.Integer(), nullable=True),
    sa.Column('end_house', sa.Integer(), nullable=True),
    sa.Column('odd_even', sa.String(length=4), nullable=False),
    sa.Column('street_direction', sa.String(length=4), nullable=True),
    sa.Column('street_name', sa.String(length=100), nullable=True),
    sa.Column('street_suffix', sa.String(length=8), nullable=True),
    sa.Column('address_direction', sa.String(length=4), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('includes_all_addresses', sa.Boolean(), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('zip', sa.String(length=5), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['place_sources.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('street_segments', schema=None) as batch_op:
        batch_op.create_index('ix_street_segments_city_street', ['city', 'street_name'], unique=False)
        batch_op.create_index('ix_street_segments_zip_street', ['zip', 'street_name'], unique=False)

    op.create_table('place_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['polling_places.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('place_hours', schema=None) as batch_op:
        batch_op.create_index('ix_place_hours_place_day', ['place_id', 'day'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('place_hours', schema=None) as batch_op:
        batch_op.drop_index('ix_place_hours_place_day')

    op.drop_table('place_hours')
    with op.batch_alter_table('street_segments', schema=None) as batch_op:
        batch_op.drop_index('ix_street_segments_zip_street')
        batch_op.drop_index('ix_street_segments_city_street')

    op.drop_table('street_segments')
    with op.batch_alter_table('precincts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_precincts_source_id'))

    op.drop_table('precincts')
    with op.batch_alter_table('polling_places', schema=None) as batch_op:
        batch_op.drop_index('ix_polling_places_source_zip')
        batch_op.drop_index('ix_polling_places_lat_lng')

    op.drop_table('polling_places')
    op.drop_table('voters')
    op.drop_table('registration_checks')
    with op.batch_alter_table('place_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_place_sources_name'))

    op.drop_table('place_sources')
    op.drop_table('voter_rolls')
    op.drop_table('voter_keys')
    op.drop_table('precinct_places')
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elections_date'))

    op.drop_table('elections')
