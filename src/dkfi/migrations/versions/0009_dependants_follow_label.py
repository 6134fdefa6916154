"""Change-history rows take their record's present label (issue 10, point 14).

Before, a change row kept the label its record had when the change was written; since then a record's
dependants follow its label (``dkfi.core.access``: relabelling copies the label in the same transaction). This
brings rows written before up to date, once. Data only: no table changes, and nothing to undo.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# (dependant table, its foreign key, the parent table): every ChangeLogMixin table at this revision
DEPENDANTS = (("alert_change", "alert_id", "alert"), ("lesson_change", "lesson_id", "lesson"))
LABEL_COLUMNS = ("owner_nation", "classification", "releasable_to", "label_policy", "label_categories")


def upgrade() -> None:
    for table, fk, parent in DEPENDANTS:
        sets = ", ".join(f"{c} = (SELECT p.{c} FROM {parent} p WHERE p.id = {table}.{fk})" for c in LABEL_COLUMNS)
        op.execute(sa.text(f"UPDATE {table} SET {sets} WHERE {fk} IN (SELECT id FROM {parent})"))


def downgrade() -> None:
    pass
