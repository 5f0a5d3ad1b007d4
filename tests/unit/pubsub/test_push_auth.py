"""Push authentication: Google-signed OIDC tokens (verified for real, against a key of our
own served as Google's certificates), the shared ?token=, and refusing to run without either."""

import asyncio
import datetime as dt
import http.server
import json
import threading
import time
from typing import Any

import google.auth.crypt
import google.auth.jwt
import google.auth.transport
import google.oauth2.id_token
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi import HTTPException
from starlette.requests import Request

from fleetsim.pubsub.auth import PushAuth, PushAuthNotConfiguredError
from fleetsim.settings import Settings

AUDIENCE = "https://worker.example.run.app/pubsub/push"
ACCOUNT = "pubsub-push@project.iam.gserviceaccount.com"
KEY_ID = "test-key"

_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
_now = dt.datetime.now(dt.UTC)
CERTIFICATE = (
    x509.CertificateBuilder()
    .subject_name(_name)
    .issuer_name(_name)
    .public_key(_key.public_key())
    .serial_number(1)
    .not_valid_before(_now - dt.timedelta(days=1))
    .not_valid_after(_now + dt.timedelta(days=1))
    .sign(_key, hashes.SHA256())
    .public_bytes(serialization.Encoding.PEM)
    .decode()
)
SIGNER = google.auth.crypt.RSASigner.from_string(
    _key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ),
    key_id=KEY_ID,
)


class Response(google.auth.transport.Response):
    def __init__(self, status: int, data: bytes) -> None:
        self._status, self._data = status, data

    @property
    def status(self) -> int:
        return self._status

    @property
    def headers(self) -> dict[str, str]:
        return {}

    @property
    def data(self) -> bytes:
        return self._data


class Certificates(google.auth.transport.Request):
    """Serves our certificate where Google's would be fetched; counts the fetches."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.fetches = 0

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Response:
        self.fetches += 1
        return Response(self.status, json.dumps({KEY_ID: CERTIFICATE}).encode())


def token(**claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "email": ACCOUNT,
        "email_verified": True,
        **claims,
    }
    return google.auth.jwt.encode(SIGNER, payload).decode()


def request(authorization: str | None = None, query: str = "") -> Request:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    scope = {"type": "http", "method": "POST", "path": "/pubsub/push", "headers": headers}
    return Request(scope | {"query_string": query.encode()})


def check(auth: PushAuth, incoming: Request) -> str:
    return asyncio.run(auth(incoming))


def refusal(auth: PushAuth, incoming: Request) -> int:
    with pytest.raises(HTTPException) as refused:
        check(auth, incoming)
    return refused.value.status_code


def oidc(transport: Certificates, **settings: Any) -> PushAuth:
    values = {"env": "prod", "push_audience": AUDIENCE, "push_service_account": ACCOUNT}
    return PushAuth(Settings(**(values | settings)), transport=transport)


def test_google_signed_token_for_the_audience_and_account_is_accepted() -> None:
    assert check(oidc(Certificates()), request(f"Bearer {token()}")) == f"oidc:{ACCOUNT}"


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://someone-else.example"},
        {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900},
        {"iss": "https://evil.example"},
        {"email": "someone@gmail.com"},
        {"email_verified": False},
    ],
    ids=["audience", "expired", "issuer", "account", "unverified-email"],
)
def test_token_for_another_audience_issuer_or_account_is_403(claims: dict[str, Any]) -> None:
    assert refusal(oidc(Certificates()), request(f"Bearer {token(**claims)}")) == 403


def test_tampered_token_is_403() -> None:
    forged = token().rsplit(".", 1)[0] + "." + token(sub="x").rsplit(".", 1)[1]
    assert refusal(oidc(Certificates()), request(f"Bearer {forged}")) == 403


def test_missing_bearer_is_401_and_garbage_is_403_without_a_certificate_fetch() -> None:
    certificates = Certificates()
    auth = oidc(certificates)
    assert refusal(auth, request()) == 401
    assert refusal(auth, request("Basic dXNlcjpwYXNz")) == 401
    assert refusal(auth, request("Bearer not-a-jwt")) == 403
    assert certificates.fetches == 0


def test_certificates_out_of_reach_is_503_so_pubsub_retries() -> None:
    assert refusal(oidc(Certificates(status=500)), request(f"Bearer {token()}")) == 503


def test_shared_token_in_the_query_string() -> None:
    auth = PushAuth(Settings(env="prod", push_token="s3cret"))
    assert check(auth, request(query="token=s3cret")) == "token"
    assert refusal(auth, request()) == 401
    assert refusal(auth, request(query="token=s3cre")) == 403


def test_without_token_or_audience_only_dev_starts() -> None:
    with pytest.raises(PushAuthNotConfiguredError, match="FLEETSIM_PUSH_TOKEN"):
        PushAuth(Settings(env="prod"))
    assert check(PushAuth(Settings(env="dev")), request()).startswith("anonymous")


class CertificateServer(http.server.ThreadingHTTPServer):
    """Serves our certificate over real HTTP with a Cache-Control header; counts GETs."""

    def __init__(self, cache_control: str) -> None:
        self.cache_control = cache_control
        self.fetches = 0
        super().__init__(("127.0.0.1", 0), CertificateHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/oauth2/v1/certs"


class CertificateHandler(http.server.BaseHTTPRequestHandler):
    server: CertificateServer

    def do_GET(self) -> None:
        self.server.fetches += 1
        body = json.dumps({KEY_ID: CERTIFICATE}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", self.server.cache_control)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("cache_control", "fetches"), [("public, max-age=3600", 1), ("no-store", 3)]
)
def test_default_transport_fetches_certificates_as_often_as_cache_control_says(
    monkeypatch: pytest.MonkeyPatch, cache_control: str, fetches: int
) -> None:
    with CertificateServer(cache_control) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        monkeypatch.setattr(google.oauth2.id_token, "_GOOGLE_OAUTH2_CERTS_URL", server.url)
        values = {"env": "prod", "push_audience": AUDIENCE, "push_service_account": ACCOUNT}
        auth = PushAuth(Settings(**values))  # the default transport, as deployed
        for _ in range(3):
            assert check(auth, request(f"Bearer {token()}")) == f"oidc:{ACCOUNT}"
        server.shutdown()
    assert server.fetches == fetches
