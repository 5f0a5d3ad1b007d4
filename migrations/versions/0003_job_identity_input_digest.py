"""job identity: input digest per fleet

A job is identified by its fleet and the digest of its resolved input (the request resolved
against the configuration, the model version and the schema version), no longer by the raw
request hash: the same body after a config change is a new job. `request_hash` stays on the
row for reference. Rows made before this revision get `legacy:<request_hash>`, which no
input digest ever equals, so a new submit of their request makes a new job.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("simulations", sa.Column("input_digest", sa.Text, nullable=True))
    op.execute("UPDATE simulations SET input_digest = 'legacy:' || request_hash")
    op.alter_column("simulations", "input_digest", nullable=False)
    op.drop_constraint("uq_simulations_request_hash", "simulations", type_="unique")
    op.create_unique_constraint(
        "uq_simulations_fleet_id_input_digest", "simulations", ["fleet_id", "input_digest"]
    )


def downgrade() -> None:
    # Since this revision one request hash may name several jobs (one per configuration).
    # Revision 0002 keys jobs by it alone: the newest job keeps it, the older ones get
    # `<hash>:superseded:<id>`, which no request hashes to, and stay readable by id.
    op.execute(
        """
        UPDATE simulations AS s
        SET request_hash = s.request_hash || ':superseded:' || s.id::text
        FROM (
            SELECT id, row_number() OVER (
                PARTITION BY request_hash ORDER BY created_at DESC, id DESC
            ) AS newest_first
            FROM simulations
        ) AS ranked
        WHERE s.id = ranked.id AND ranked.newest_first > 1
        """
    )
    op.drop_constraint("uq_simulations_fleet_id_input_digest", "simulations", type_="unique")
    op.create_unique_constraint("uq_simulations_request_hash", "simulations", ["request_hash"])
    op.drop_column("simulations", "input_digest")
