"""Settings read from the environment, and DATABASE_URL given the asyncpg driver."""

import pytest

from fleetsim.db import DEFAULT_DATABASE_URL, async_database_url
from fleetsim.settings import Settings


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_plain_postgres_urls_get_the_asyncpg_driver(given: str, used: str) -> None:
    assert async_database_url(given) == used


def test_environment_sets_keys_and_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETSIM_API_KEYS", " first , second,,")
    monkeypatch.setenv("DATABASE_URL", "postgresql://svc@db:5432/fleetsim")
    monkeypatch.setenv("FLEETSIM_PUBSUB_TOPIC", "")
    settings = Settings()
    assert settings.api_keys == ("first", "second")
    assert settings.database_url == "postgresql+asyncpg://svc@db:5432/fleetsim"
    assert settings.pubsub_topic is None


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FLEETSIM_API_KEYS", "DATABASE_URL", "FLEETSIM_ENV", "FLEETSIM_PUBSUB_TOPIC"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.api_keys == ()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.env == "dev"
    assert settings.max_body_bytes == 5 * 1024 * 1024


def test_secrets_stay_out_of_the_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETSIM_API_KEYS", "very-secret-key")
    monkeypatch.setenv("DATABASE_URL", "postgresql://svc:db-password@db/fleetsim")
    shown = repr(Settings())
    assert "very-secret-key" not in shown
    assert "db-password" not in shown


def test_pubsub_and_bucket_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLEETSIM_PUSH_TOKEN", "push-secret")
    monkeypatch.setenv("FLEETSIM_PUSH_AUDIENCE", " ")
    monkeypatch.setenv("FLEETSIM_GCS_BUCKET", "results")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "fleet-prod")
    settings = Settings()
    assert settings.push_token == "push-secret"
    assert settings.push_audience is None  # blank is unset
    assert (settings.gcs_bucket, settings.project) == ("results", "fleet-prod")
    assert "push-secret" not in repr(settings)
