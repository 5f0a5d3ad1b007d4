"""The `simulations` table (DESIGN §6): one row per job, the result envelope as JSONB parts and
as compressed canonical bytes.

A job is identified by (`fleet_id`, `input_digest`): the digest of its resolved input, model
and schema version. `request_hash` (the raw body's) is kept for reference only."""

from typing import get_args

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from fleetsim.models.job import JobStatus
from fleetsim.models.message import JOB_MODES

JOB_STATUSES: tuple[str, ...] = get_args(JobStatus)
RESULT_PARTS = ("metadata", "trips", "time_series_data", "site_load", "charging_events")
"""SimulationResult fields, each stored in the JSONB column of the same name.

A `gcs` job stores only `metadata` (KPIs stay queryable); `result_uri` points at the object.
A `db` job also keeps the canonical result bytes, gzip-compressed, in `result_gzip`: what
`GET .../result` returns. A row part above JSONB_PART_MAX_BYTES is left null (PostgreSQL
refuses a JSONB value above 255 MiB; a year of a large fleet has trips and events past it);
the bytes always hold the whole envelope.

Every succeeded job also keeps `headline_kpis` (`HeadlineKpis`, what a list row shows) and
`summary` (`ResultSummary`); `scenario` and `label` come from the request."""

JSONB_PART_MAX_BYTES = 64 * 2**20
"""Row parts larger than this (canonical JSON) are kept only in `result_gzip`."""

metadata = sa.MetaData()

simulations = sa.Table(
    "simulations",
    metadata,
    sa.Column(
        "id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")
    ),
    sa.Column("fleet_id", UUID(as_uuid=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="queued"),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("input_digest", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.Text, nullable=True),
    sa.Column("feasible", sa.Boolean, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("error", JSONB(none_as_null=True), nullable=True),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("request", JSONB, nullable=False),
    sa.Column("mode", sa.Text, nullable=False, server_default="db"),
    sa.Column("result_uri", sa.Text, nullable=True),
    *(sa.Column(part, JSONB(none_as_null=True), nullable=True) for part in RESULT_PARTS),
    sa.Column("result_gzip", sa.LargeBinary, nullable=True),
    sa.Column("scenario", sa.Text, nullable=True),
    sa.Column("label", sa.Text, nullable=True),
    sa.Column("headline_kpis", JSONB(none_as_null=True), nullable=True),
    sa.Column("summary", JSONB(none_as_null=True), nullable=True),
    sa.UniqueConstraint("fleet_id", "input_digest", name="uq_simulations_fleet_id_input_digest"),
    sa.UniqueConstraint("idempotency_key", name="uq_simulations_idempotency_key"),
    sa.CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in JOB_STATUSES) + ")",
        name="ck_simulations_status",
    ),
    sa.CheckConstraint("attempts >= 0", name="ck_simulations_attempts"),
    sa.CheckConstraint(
        "mode IN (" + ", ".join(f"'{m}'" for m in JOB_MODES) + ")", name="ck_simulations_mode"
    ),
    sa.Index("ix_simulations_fleet_id_created_at", "fleet_id", "created_at", "id"),
    sa.Index("ix_simulations_created_at", "created_at", "id"),
    sa.Index("ix_simulations_status", "status"),
)

STUDY_STATUSES = ("running", "finished")

studies = sa.Table(
    "studies",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("label", sa.Text, nullable=True),
    sa.Column("request", JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="running"),
    sa.Column("points_total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("points_done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("points_failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("result", JSONB(none_as_null=True), nullable=True),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in STUDY_STATUSES) + ")",
        name="ck_studies_status",
    ),
    sa.Index("ix_studies_created_at", "created_at", "id"),
)
"""Design studies: the request, progress counts and, once finished, the result table."""

study_points = sa.Table(
    "study_points",
    metadata,
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
    sa.Index("ix_study_points_job_id", "job_id"),
)
"""Each point of a study and the simulation job that computes it (shared with any other
study or submit of the same input)."""
