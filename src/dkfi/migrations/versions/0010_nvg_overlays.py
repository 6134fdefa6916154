"""NVG overlays imported from allies (issue 14, point 6): one labelled row per overlay, features as GeoJSON.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('nvg_overlay',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source_file', sa.String(length=300), nullable=False),
    sa.Column('imported', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=128), nullable=False),
    sa.Column('feature_count', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('owner_nation', sa.String(length=3), nullable=False),
    sa.Column('classification', sa.String(length=16), nullable=False),
    sa.Column('releasable_to', sa.String(length=256), nullable=False),
    sa.Column('label_policy', sa.String(length=32), nullable=False),
    sa.Column('label_categories', sa.String(length=512), nullable=False),
    sa.Column('label_created', sa.DateTime(timezone=True), nullable=True),
    sa.Column('label_reviewed', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nvg_overlay', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nvg_overlay_imported'), ['imported'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('nvg_overlay', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nvg_overlay_imported'))
    op.drop_table('nvg_overlay')
