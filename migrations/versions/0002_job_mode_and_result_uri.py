"""job mode and result uri

A job's `mode` (db | gcs) says where its result goes; a gcs job's row keeps `metadata` and
points at the object with `result_uri`.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("simulations", sa.Column("mode", sa.Text, nullable=False, server_default="db"))
    op.add_column("simulations", sa.Column("result_uri", sa.Text, nullable=True))
    op.create_check_constraint("ck_simulations_mode", "simulations", "mode IN ('db', 'gcs')")


def downgrade() -> None:
    # Revision 0001 keeps results only in the row: a succeeded gcs job would claim a result
    # it does not hold, so it becomes failed with the object's URI in its error.
    op.execute(
        """
        UPDATE simulations
        SET status = 'failed',
            error = jsonb_build_object(
                'type', 'ResultInObjectStorage',
                'message', 'the result is at ' || result_uri
                    || '; this schema version cannot serve it'
            ),
            updated_at = now()
        WHERE mode = 'gcs' AND status = 'succeeded'
        """
    )
    op.drop_constraint("ck_simulations_mode", "simulations", type_="check")
    op.drop_column("simulations", "result_uri")
    op.drop_column("simulations", "mode")
