"""Filing: reviewed encounters' final codes in indexed tables, one row per version (issue 17).

``filed_encounters`` (one row per filed version; ``current`` marks the one that answers searches) and
``filed_codes`` (per code: decision, place in the reporting order, POA, evidence places). Partial indexes hold the
current rows only, each in the order a search pages them (newest service date first). Codes compare byte by byte
on PostgreSQL (``COLLATE "C"``) so that prefixes and ranges of codes are contiguous stretches of the index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.store.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The predicates as each database's planner matches them against a query's WHERE (SQLAlchemy writes a boolean test
# as ``current = 1`` on SQLite, whose planner only uses a partial index whose terms appear in the query verbatim).
_CURRENT = {"postgresql_where": sa.text("current"), "sqlite_where": sa.text("current = 1")}
_CURRENT_REPORTED = {
    "postgresql_where": sa.text("current AND decision != 'rejected'"),
    "sqlite_where": sa.text("current = 1 AND decision != 'rejected'"),
}


def _partial(name: str, table: str, columns: list[str], where: dict[str, sa.TextClause]) -> None:
    op.create_index(
        name, table, columns, postgresql_where=where["postgresql_where"], sqlite_where=where["sqlite_where"]
    )


def upgrade() -> None:
    op.create_table(
        "filed_encounters",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("encounter_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("patient_id", sa.String(200), nullable=True),
        sa.Column("patient_age", sa.Integer(), nullable=True),
        sa.Column("patient_sex", sa.String(16), nullable=True),
        sa.Column("service_start", sa.Date(), nullable=False),
        sa.Column("service_end", sa.Date(), nullable=True),
        sa.Column("setting", sa.String(16), nullable=False),
        sa.Column("coder_name", sa.String(100), nullable=False),
        sa.Column("coder_key_id", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("model_id", sa.String(200), nullable=False),
        sa.Column("review_id", sa.String(64), nullable=True),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("encounter_id", "version", name="uq_filed_encounters_encounter_version"),
    )
    _partial("ix_filed_encounters_current_service", "filed_encounters", ["service_start", "id"], _CURRENT)
    _partial("ix_filed_encounters_current_patient", "filed_encounters", ["patient_id", "service_start"], _CURRENT)
    _partial("ix_filed_encounters_current_coder", "filed_encounters", ["coder_name", "service_start"], _CURRENT)
    _partial("ix_filed_encounters_current_status", "filed_encounters", ["status", "service_start"], _CURRENT)
    code_type = sa.String(16).with_variant(sa.String(16, collation="C"), "postgresql")
    op.create_table(
        "filed_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("filed_id", sa.String(32), sa.ForeignKey("filed_encounters.id"), nullable=False),
        sa.Column("code", code_type, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("poa", sa.String(1), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.UniqueConstraint("filed_id", "code", name="uq_filed_codes_filed_code"),
    )
    _partial("ix_filed_codes_current_reported_code", "filed_codes", ["code", "filed_id"], _CURRENT_REPORTED)


def downgrade() -> None:
    op.drop_table("filed_codes")
    op.drop_table("filed_encounters")
