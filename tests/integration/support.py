"""Helpers of the integration tests: fresh databases, settings, a server process."""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from fleetsim.api.app import create_app as create_app  # re-exported for conftest
from fleetsim.config import request_hash
from fleetsim.db import database_url_from_env
from fleetsim.models import CanonicalResult, ResolvedRequest, SimulationRequest
from fleetsim.runner import simulate as real_simulate
from fleetsim.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

API_KEY = "integration-test-key"
HEADERS = {"X-API-Key": API_KEY}
CONFIG_DIR = ROOT / "config"
FAILING_REQUEST = SimulationRequest(scenario="smoke", fleet_id=uuid.UUID(int=0xBAD))
"""The in-process app's simulation raises for exactly this request."""


def driver_dsn(url: str) -> str:
    """A SQLAlchemy URL as a DSN asyncpg accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


@contextmanager
def fresh_database(migrate: bool = True) -> Iterator[str]:
    """A new database on the DATABASE_URL server, at Alembic head unless `migrate` is False."""
    server = make_url(database_url_from_env())
    host = server.host or "127.0.0.1"
    if (
        shutil.which("pg_isready")
        and subprocess.run(
            ["pg_isready", "-q", "-h", host, "-p", str(server.port or 5432)], check=False
        ).returncode
    ):
        pytest.fail(
            f"PostgreSQL is not accepting connections on {host}: start it "
            "(.ci/run does: pg_ctlcluster --skip-systemctl-redirect <version> main start) "
            "or point DATABASE_URL at a server"
        )
    name = f"fleetsim_test_{uuid.uuid4().hex[:12]}"
    admin = driver_dsn(server.set(database="postgres").render_as_string(hide_password=False))

    async def admin_sql(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "api_keys": (API_KEY,),
        "env": "test",
        "config_dir": CONFIG_DIR,
        "worker_concurrency": 2,
        "lease_s": 60.0,
        **overrides,
    }
    return Settings(DATABASE_URL=database_url, **values)


def failing_simulate(resolved: ResolvedRequest) -> CanonicalResult:
    if resolved.request_hash == request_hash(FAILING_REQUEST):
        raise RuntimeError("simulated failure in the core")
    return real_simulate(resolved)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_server(database_url: str, log_path: Path, **settings: str) -> Iterator[str]:
    """`python -m uvicorn main_api:app` on a free port in its own process group; its URL."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FLEETSIM_API_KEYS": f"other-key,{API_KEY}",
        "FLEETSIM_CONFIG_DIR": str(CONFIG_DIR),
        "FLEETSIM_ENV": "test",
        **{f"FLEETSIM_{name.upper()}": value for name, value in settings.items()},
    }
    env.pop("FLEETSIM_PUBSUB_TOPIC", None)
    with uvicorn_process("main_api:app", env, log_path) as (_, base_url):
        yield base_url


@contextmanager
def uvicorn_process(
    app: str,
    env: dict[str, str],
    log_path: Path,
    *,
    factory: bool = False,
    options: tuple[str, ...] = (),
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m uvicorn APP` with `env` on a free port in its own process group, once its
    /healthz answers: the process and its URL. Stopped (the whole group) on exit."""
    port = free_port()
    command_line = [sys.executable, "-m", "uvicorn", app, *(["--factory"] if factory else [])]
    command_line += ["--host", "127.0.0.1", "--port", str(port), *options]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command_line,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: healthy(base_url),
            timeout_s=30,
            what=f"uvicorn {app} /healthz",
            alive=lambda: process.poll() is None,
            log=log_path,
        )
        yield process, base_url
    finally:
        stop_process_group(process)


def healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout_s: float,
    what: str,
    alive: Callable[[], bool] = lambda: True,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        if not alive():
            break
        time.sleep(0.1)
    output = log.read_text(errors="replace")[-4000:] if log else ""
    pytest.fail(f"{what} not ready after {timeout_s} s\n{output}")
