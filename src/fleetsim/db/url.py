"""DATABASE_URL in SQLAlchemy form, shared by the service and Alembic."""

import os

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/fleetsim"


def async_database_url(url: str) -> str:
    """The URL with the asyncpg driver: `postgresql://` and `postgres://` get `+asyncpg`."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url.removeprefix(plain)
    return url


def database_url_from_env() -> str:
    """`DATABASE_URL` (default: local trust-auth server, database `fleetsim`) with asyncpg."""
    return async_database_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
