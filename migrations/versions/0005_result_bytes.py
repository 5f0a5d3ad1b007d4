"""result bytes: the canonical result envelope, gzip-compressed, next to its JSONB parts

JSONB keeps neither key order nor number text, so reading a result back from the parts
meant validating and re-serialising it (0.36 s for the default week). `result_gzip` holds
the canonical bytes themselves, compressed: `GET .../result` reads them and sends them as
they are to a client that accepts gzip. Rows written before this revision have none and are
still read from their parts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("simulations", sa.Column("result_gzip", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    op.drop_column("simulations", "result_gzip")
