"""Provider queries: raised by a coder from a documentation finding, tracked to an answer or a withdrawal.

One new table, ``provider_queries`` (rows are updated once, open -> answered / withdrawn, and blanked by the
retention purge: no append-only triggers). Its text columns quote the note and are PHI.

Revision ID: 0006_queries
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.store.models import UTCDateTime

revision = "0006_queries"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_queries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("note_id", sa.String(32), sa.ForeignKey("notes.id"), nullable=False, index=True),
        sa.Column("encounter_id", sa.String(200), nullable=True, index=True),
        sa.Column("finding_kind", sa.String(100), nullable=False, index=True),
        sa.Column("finding", sa.JSON(), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("indicators", sa.JSON(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("option_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_by", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_by_name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by_name", sa.String(100), nullable=True),
        sa.Column("answer_kind", sa.String(16), nullable=True),
        sa.Column("answer_option", sa.Integer(), nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=True),
        sa.Column("text_purged_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("provider_queries")
