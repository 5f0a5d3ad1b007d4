"""Service settings, read once from the environment (pydantic-settings)."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from fleetsim.db.url import DEFAULT_DATABASE_URL, async_database_url


class Settings(BaseSettings):
    """Everything the doors read from the environment; `FLEETSIM_` prefix unless noted."""

    model_config = SettingsConfigDict(env_prefix="FLEETSIM_", extra="ignore", frozen=True)

    api_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        repr=False,
        description="comma-separated; with none set every authenticated route answers 401",
    )
    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        validation_alias="DATABASE_URL",
        repr=False,
        description="SQLAlchemy form; may hold a password",
    )
    config_dir: Path = Path("config")
    config_overrides: str | None = Field(None, description="JSON merged over the YAML")
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1)
    sync_max_points: int = Field(
        50_000, ge=1, description="time-series points above which a sync run answers 413"
    )
    sync_max_vehicle_steps: int = Field(
        100_000,
        ge=1,
        description="simulated time steps x max(1, vehicles) above which a sync run answers 413",
    )
    sync_max_trace_s: float = Field(
        5_000_000.0,
        gt=0,
        description="seconds of 1 Hz driving above which a sync run answers 413 (the default "
        "week is 0.8 million)",
    )
    max_vehicle_steps: int = Field(
        150_000_000,
        ge=1,
        description="a job's time steps x vehicles (a year of 1,000 vehicles at 300 s fits)",
    )
    max_trace_s: float = Field(
        200_000_000.0, gt=0, description="a job's seconds of 1 Hz driving to simulate"
    )
    max_result_mb: int = Field(
        1024, ge=1, description="a job's estimated result size (series, trips, events), MiB"
    )
    study_max_points: int = Field(
        1_000, ge=1, description="simulations one study may run (grid points x sizing values)"
    )
    worker_concurrency: int = Field(
        2, ge=0, description="in-process jobs at once; 0 leaves submitted jobs queued"
    )
    job_processes: int = Field(
        3, ge=1, description="worker processes that run simulations (sync runs and jobs)"
    )
    job_memory_mb: int = Field(
        2048, ge=256, description="address space of each worker process (RLIMIT_AS), MiB"
    )
    job_timeout_s: float = Field(
        600.0, gt=0, description="a simulation running longer is stopped and its job failed"
    )
    report_max_result_mb: int = Field(
        256,
        ge=1,
        description="the API draws reports of results up to this many MiB, one at a time in "
        "its own process (drawing holds about 1.35 times the result); larger: 413",
    )
    max_attempts: int = Field(3, ge=1, description="claims of one job before it is failed")
    lease_s: float = Field(900.0, gt=0, description="a running job's claim lasts this long")
    pubsub_topic: str | None = Field(None, description="projects/<project>/topics/<name>")
    publish_timeout_s: float = Field(30.0, gt=0, description="wait for Pub/Sub to take a message")
    push_token: str | None = Field(
        None, repr=False, description="the push door's `?token=` when no push_audience is set"
    )
    push_audience: str | None = Field(
        None, description="the push door verifies Google-signed OIDC tokens for this audience"
    )
    push_service_account: str | None = Field(
        None, description="with push_audience: the token's email must be this account"
    )
    gcs_bucket: str | None = Field(None, description="bucket of mode gcs results")
    project: str | None = Field(
        None,
        validation_alias="GOOGLE_CLOUD_PROJECT",
        description="for short subscription names and the GCS client",
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(key.strip() for key in value.split(",") if key.strip())
        return value

    @field_validator("config_dir", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        return Path("config") if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator(
        "pubsub_topic",
        "config_overrides",
        "push_token",
        "push_audience",
        "push_service_account",
        "gcs_bucket",
        "project",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value
