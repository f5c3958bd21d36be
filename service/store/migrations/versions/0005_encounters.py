"""Encounters: the chart's documents, the encounter's one code set, and its reviews (issue 17).

``encounters`` (metadata, service date, the engine's merged code set), ``encounter_documents`` (type, date and
text of each document; the text is blanked by the retention purge), ``encounter_reviews`` and
``encounter_review_codes`` (append-only, as the notes' reviews: triggers refuse UPDATE and DELETE, and
TRUNCATE on PostgreSQL). A review keeps when its coder opened the encounter and the seconds until it was
submitted.

Revision ID: 0005_encounters
Revises: 0006_queries
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.store.models import UTCDateTime

revision = "0005_encounters"
down_revision = "0006_queries"  # chained after the merged 0004 (filing) and 0006_queries
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("encounter_reviews", "encounter_review_codes")


def upgrade() -> None:
    op.create_table(
        "encounters",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("external_id", sa.String(200), nullable=True, index=True),
        sa.Column("patient_id", sa.String(200), nullable=True, index=True),
        sa.Column("setting", sa.String(16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True, index=True),
        sa.Column("model_id", sa.String(200), nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("suggestion_count", sa.Integer(), nullable=False),
        sa.Column("document_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
    )
    op.create_table(
        "encounter_documents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("encounter_id", sa.String(32), sa.ForeignKey("encounters.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(200), nullable=False),
        sa.Column("doc_type", sa.String(32), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("text_purged_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("encounter_id", "document_id", name="uq_encounter_documents_document"),
    )
    op.create_table(
        "encounter_reviews",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("encounter_id", sa.String(32), sa.ForeignKey("encounters.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("coder_key_id", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("coder_name", sa.String(100), nullable=False),
        sa.Column("model_id", sa.String(200), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("seconds_to_submit", sa.Float(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.UniqueConstraint("encounter_id", "version", name="uq_encounter_reviews_version"),
    )
    op.create_table(
        "encounter_review_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("review_id", sa.String(64), sa.ForeignKey("encounter_reviews.id"), nullable=False, index=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("poa", sa.String(1), nullable=True),
    )
    op.create_index("ix_encounter_review_codes_code_decision", "encounter_review_codes", ["code", "decision"])
    _refuse_changes(APPEND_ONLY_TABLES)


def downgrade() -> None:
    _allow_changes(APPEND_ONLY_TABLES)
    for table in ("encounter_review_codes", "encounter_reviews", "encounter_documents", "encounters"):
        op.drop_table(table)


def _refuse_changes(tables: tuple[str, ...]) -> None:
    """The same triggers as revision 0001's (its function ``chartcoder_append_only`` exists on PostgreSQL)."""
    dialect = op.get_bind().dialect.name
    for table in tables:
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION chartcoder_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION chartcoder_append_only()"
            )
        elif dialect == "sqlite":
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def _allow_changes(tables: tuple[str, ...]) -> None:
    dialect = op.get_bind().dialect.name
    for table in tables:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        elif dialect == "sqlite":
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
