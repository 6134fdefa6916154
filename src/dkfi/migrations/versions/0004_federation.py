"""federation: outbox (changes owed to partner nodes) and inbox state (changes applied from them)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 00:02:30.606107
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('federation_applied',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('origin', sa.String(length=3), nullable=False),
    sa.Column('sender', sa.String(length=3), nullable=False),
    sa.Column('record_type', sa.String(length=64), nullable=False),
    sa.Column('record_key', sa.String(length=200), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('owner_nation', sa.String(length=3), nullable=False),
    sa.Column('classification', sa.String(length=16), nullable=False),
    sa.Column('releasable_to', sa.String(length=256), nullable=False),
    sa.Column('label_policy', sa.String(length=32), nullable=False),
    sa.Column('label_categories', sa.String(length=512), nullable=False),
    sa.Column('label_created', sa.DateTime(timezone=True), nullable=True),
    sa.Column('label_reviewed', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('origin', 'record_type', 'record_key', name='uq_federation_applied_record')
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('partner', sa.String(length=3), nullable=False),
    sa.Column('record_type', sa.String(length=64), nullable=False),
    sa.Column('record_key', sa.String(length=200), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('owner_nation', sa.String(length=3), nullable=False),
    sa.Column('classification', sa.String(length=16), nullable=False),
    sa.Column('releasable_to', sa.String(length=256), nullable=False),
    sa.Column('label_policy', sa.String(length=32), nullable=False),
    sa.Column('label_categories', sa.String(length=512), nullable=False),
    sa.Column('label_created', sa.DateTime(timezone=True), nullable=True),
    sa.Column('label_reviewed', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['partner', 'delivered_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    op.drop_table('federation_applied')
