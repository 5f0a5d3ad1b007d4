"""PostgreSQL schema and connection URL; Alembic owns the schema's history in migrations/."""

from fleetsim.db.schema import JOB_STATUSES, metadata, simulations
from fleetsim.db.url import DEFAULT_DATABASE_URL, async_database_url, database_url_from_env

__all__ = [
    "DEFAULT_DATABASE_URL",
    "JOB_STATUSES",
    "async_database_url",
    "database_url_from_env",
    "metadata",
    "simulations",
]
