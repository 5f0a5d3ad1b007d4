"""design studies

`studies` holds a study's request, progress and result table; `study_points` links each of
its points to the ordinary simulation job that computes it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("request", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="running"),
        sa.Column("points_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("points_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("points_failed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("result", JSONB, nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('running', 'finished')", name="ck_studies_status"),
    )
    op.create_index("ix_studies_created_at", "studies", ["created_at", "id"])
    op.create_table(
        "study_points",
        sa.Column(
            "study_id",
            UUID(as_uuid=True),
            sa.ForeignKey("studies.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("grid_index", sa.Integer, primary_key=True),
        sa.Column("size_index", sa.Integer, primary_key=True, comment="-1 without a sizing axis"),
        sa.Column("axis_values", JSONB, nullable=False),
        sa.Column("job_id", UUID(as_uuid=True), sa.ForeignKey("simulations.id"), nullable=False),
        sa.Column("installed_kw", sa.Float, nullable=False),
    )
    op.create_index("ix_study_points_job_id", "study_points", ["job_id"])


def downgrade() -> None:
    op.drop_table("study_points")
    op.drop_table("studies")
