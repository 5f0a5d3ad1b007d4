"""The project's own infrastructure errors, and the one place third-party errors become them.

Callers catch these, never a driver's or a cloud client's exception (the httpx way: a
shallow tree, translated at the boundary by `map_exceptions`).
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager


class StoreUnavailableError(Exception):
    """The job store or the result bucket did not answer: retrying later may succeed."""


class DatabaseUnavailableError(StoreUnavailableError):
    """PostgreSQL refused, dropped or timed out a connection."""


class DatabaseNotSetUpError(DatabaseUnavailableError):
    """The database in DATABASE_URL does not exist, or lacks the schema this code expects;
    the message says the fix (create it, `alembic upgrade head`)."""


class BucketUnavailableError(StoreUnavailableError):
    """Cloud Storage answered 5xx or 429, or could not be reached."""


@contextmanager
def map_exceptions(
    mapping: Mapping[tuple[type[Exception], ...], type[StoreUnavailableError]],
) -> Iterator[None]:
    """Raise the mapped project error (chained) for any listed third-party exception."""
    try:
        yield
    except Exception as exc:
        for sources, target in mapping.items():
            if isinstance(exc, sources):
                raise target(f"{type(exc).__name__}: {exc}") from exc
        raise
