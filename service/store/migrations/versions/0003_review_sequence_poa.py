"""Reviews keep the coder's reporting order and present-on-admission indicators, per reviewed code.

Two nullable columns on ``review_codes``: ``position`` (1-based place in the reporting order of the accepted and
added codes; rank 1 the principal / first-listed diagnosis) and ``poa`` (Y, N, U, W or 1, inpatient notes).
Reviews stored before this revision keep NULL in both: they had no order and no POA. Adding nullable columns
needs no table rebuild on SQLite (nor does dropping them: SQLite >= 3.35), so the append-only triggers on
``reviews``, ``review_codes`` and ``audit_log`` stay as they are.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("review_codes", sa.Column("position", sa.Integer(), nullable=True))
    op.add_column("review_codes", sa.Column("poa", sa.String(1), nullable=True))


def downgrade() -> None:
    op.drop_column("review_codes", "poa")
    op.drop_column("review_codes", "position")
