"""job summary: scenario, label, headline KPIs and the result summary on the row

A dashboard's list page reads `scenario`, `label` and `headline_kpis` from the
row, and `GET /v1/simulations/{id}/summary` reads `summary`, so neither downloads a result
envelope (megabytes for a week). `scenario` is filled from the stored request of rows made
before this revision; their `headline_kpis` and `summary` stay null (the summary route computes theirs
from the result).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("simulations", sa.Column("scenario", sa.Text, nullable=True))
    op.add_column("simulations", sa.Column("label", sa.Text, nullable=True))
    op.add_column("simulations", sa.Column("headline_kpis", JSONB, nullable=True))
    op.add_column("simulations", sa.Column("summary", JSONB, nullable=True))
    op.execute(
        "UPDATE simulations SET scenario = coalesce(request->>'scenario', 'default')"
        " WHERE jsonb_typeof(request) = 'object'"
    )


def downgrade() -> None:
    for column in ("summary", "headline_kpis", "label", "scenario"):
        op.drop_column("simulations", column)
