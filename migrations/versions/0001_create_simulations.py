"""create simulations

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESULT_PARTS = ("metadata", "trips", "time_series_data", "site_load", "charging_events")


def upgrade() -> None:
    op.create_table(
        "simulations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("fleet_id", UUID(as_uuid=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=True),
        sa.Column("feasible", sa.Boolean, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", JSONB, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request", JSONB, nullable=False),
        *(sa.Column(part, JSONB, nullable=True) for part in RESULT_PARTS),
        sa.UniqueConstraint("request_hash", name="uq_simulations_request_hash"),
        sa.UniqueConstraint("idempotency_key", name="uq_simulations_idempotency_key"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="ck_simulations_status"
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_simulations_attempts"),
    )
    op.create_index(
        "ix_simulations_fleet_id_created_at", "simulations", ["fleet_id", "created_at", "id"]
    )
    op.create_index("ix_simulations_created_at", "simulations", ["created_at", "id"])
    op.create_index("ix_simulations_status", "simulations", ["status"])


def downgrade() -> None:
    op.drop_table("simulations")
