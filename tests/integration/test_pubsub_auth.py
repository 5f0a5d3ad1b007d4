"""Who may push: the shared token through the real uvicorn app, the OIDC audience check and
the refusal to start without either (the token verification itself: tests/unit/pubsub)."""

from collections.abc import AsyncIterator

import httpx
import pytest

from fleetsim.pubsub.app import create_app
from fleetsim.pubsub.auth import PushAuthNotConfiguredError
from fleetsim.settings import Settings

from .emulators import PUSH_TOKEN, PushApp
from .support import CONFIG_DIR

pytestmark = pytest.mark.anyio

ENVELOPE = {
    "message": {"data": "", "messageId": "auth-1", "attributes": {}},
    "subscription": "projects/p/subscriptions/s",
}


def test_push_without_or_with_a_wrong_token_is_refused(push_app: PushApp) -> None:
    push = f"{push_app.url}/pubsub/push"
    missing = httpx.post(push, json=ENVELOPE)
    assert missing.status_code == 401
    assert httpx.post(f"{push}?token=wrong", json=ENVELOPE).status_code == 403
    assert httpx.post(f"{push}?token={PUSH_TOKEN}x", json=ENVELOPE).status_code == 403
    # The right token gets past authentication to the envelope's validation.
    assert httpx.post(f"{push}?token={PUSH_TOKEN}", json={"message": {}}).status_code == 422


def worker_settings(database_url: str, **values: object) -> Settings:
    return Settings(DATABASE_URL=database_url, config_dir=CONFIG_DIR, **values)


async def test_with_an_audience_a_bogus_bearer_is_403(pubsub_database: str) -> None:
    settings = worker_settings(
        pubsub_database, env="prod", push_audience="https://worker.example/pubsub/push"
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w") as http,
    ):
        assert (await http.post("/pubsub/push", json=ENVELOPE)).status_code == 401
        bogus = {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}
        assert (await http.post("/pubsub/push", json=ENVELOPE, headers=bogus)).status_code == 403
        # A shared token means nothing once an audience is configured.
        token = await http.post(f"/pubsub/push?token={PUSH_TOKEN}", json=ENVELOPE)
        assert token.status_code == 401
        assert (await http.get("/healthz")).json() == {"status": "ok"}


async def test_without_token_or_audience_the_worker_refuses_to_start(
    pubsub_database: str,
) -> None:
    app = create_app(worker_settings(pubsub_database, env="prod"))
    with pytest.raises(PushAuthNotConfiguredError):
        async with app.router.lifespan_context(app):
            pass


async def test_an_unauthenticated_body_is_not_read_and_input_is_never_echoed(
    pubsub_database: str,
) -> None:
    app = create_app(worker_settings(pubsub_database, env="test", push_token=PUSH_TOKEN))
    chunks_read = 0

    async def large_body() -> AsyncIterator[bytes]:
        nonlocal chunks_read
        for _ in range(1_000):  # 64 MB if it were all read
            chunks_read += 1
            yield b" " * 65_536

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w") as http,
    ):
        refused = await http.post("/pubsub/push", content=large_body())
        assert refused.status_code == 401
        assert chunks_read <= 1, "authentication comes before the body"

        twice = await http.post(f"/pubsub/push?token={PUSH_TOKEN}&token=other", json=ENVELOPE)
        assert twice.status_code == 403
        assert twice.json() == {"detail": "?token= given more than once"}

        secret = {"message": {"data": "c2VjcmV0LWlucHV0", "attributes": {"k": "SECRET"}}}
        invalid = await http.post(f"/pubsub/push?token={PUSH_TOKEN}", json=secret)
        assert invalid.status_code == 422
        assert "SECRET" not in invalid.text and "c2VjcmV0" not in invalid.text
        assert {tuple(p["loc"]) for p in invalid.json()["detail"]} == {
            ("body", "message", "messageId"),
            ("body", "subscription"),
        }
