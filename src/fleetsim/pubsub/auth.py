"""Who may POST to the push endpoint: Pub/Sub with a Google-signed OIDC token, or a shared token.

With FLEETSIM_PUSH_AUDIENCE set the `Authorization: Bearer` token must be a Google-signed ID
token for that audience (and, with FLEETSIM_PUSH_SERVICE_ACCOUNT, issued to that account: any
Google account can mint a token for any audience). Otherwise `?token=` must equal
FLEETSIM_PUSH_TOKEN; the emulator sends no Authorization header but keeps the query string.
"""

import asyncio
import hmac
import logging
from typing import Any

import cachecontrol
import google.auth.exceptions
import google.auth.jwt
import google.auth.transport
import google.auth.transport.requests
import requests
from fastapi import HTTPException, Request, status
from google.oauth2 import id_token

from fleetsim.settings import Settings

logger = logging.getLogger(__name__)


class PushAuthNotConfiguredError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "the push endpoint needs FLEETSIM_PUSH_AUDIENCE (verify Pub/Sub's OIDC token) or "
            "FLEETSIM_PUSH_TOKEN (shared ?token=); only FLEETSIM_ENV=dev runs without either"
        )


def certificate_transport() -> google.auth.transport.Request:
    """Fetches Google's signing certificates and keeps them as long as their Cache-Control
    says (hours), so verifying a push costs no HTTPS round trip (google-auth's advice)."""
    session = cachecontrol.CacheControl(requests.Session())
    return google.auth.transport.requests.Request(session=session)


class PushAuth:
    """A FastAPI dependency: returns who pushed, or raises 401 (no credentials) / 403."""

    def __init__(
        self, settings: Settings, *, transport: google.auth.transport.Request | None = None
    ) -> None:
        """`transport` fetches Google's signing certificates (default: over HTTPS, cached)."""
        self._audience = settings.push_audience
        self._account = settings.push_service_account
        self._token = settings.push_token.encode() if settings.push_token else None
        if self._audience is None and self._token is None and settings.env != "dev":
            raise PushAuthNotConfiguredError
        self._transport = transport or certificate_transport()

    @property
    def scheme(self) -> str:
        if self._audience is not None:
            return "oidc"
        return "token" if self._token is not None else "none"

    async def __call__(self, request: Request) -> str:
        if self._audience is not None:
            return await self._verify_oidc(request.headers.get("authorization"))
        if self._token is not None:
            if len(request.query_params.getlist("token")) > 1:
                raise HTTPException(status.HTTP_403_FORBIDDEN, "?token= given more than once")
            given = request.query_params.get("token")
            if not given:
                raise _unauthenticated("missing ?token=")
            if not hmac.compare_digest(given.encode(), self._token):
                raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid push token")
            return "token"
        return "anonymous (FLEETSIM_ENV=dev)"

    async def _verify_oidc(self, authorization: str | None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("missing Authorization: Bearer token")
        token = token.strip()
        try:
            # Not a JWT, or not for us: refused without fetching Google's certificates.
            unverified = google.auth.jwt.decode(token, verify=False)  # type: ignore[no-untyped-call]
            if unverified.get("aud") != self._audience:
                raise ValueError(f"token for audience {unverified.get('aud')!r}")
            claims = await asyncio.to_thread(self._verify, token)
        except google.auth.exceptions.TransportError as exc:
            logger.warning("Google's token certificates could not be fetched: %s", exc)
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, "cannot verify the token now"
            ) from exc
        except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
            logger.info("push token refused: %s", exc)
            raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid push token") from exc
        email = claims.get("email")
        verified = email == self._account and claims.get("email_verified") is True
        if self._account is not None and not verified:
            logger.info("push token of another account refused: %s", email)
            raise HTTPException(status.HTTP_403_FORBIDDEN, "push token of another account")
        return f"oidc:{email}"

    def _verify(self, token: str) -> dict[str, Any]:
        claims: dict[str, Any] = id_token.verify_oauth2_token(  # type: ignore[no-untyped-call]
            token, self._transport, self._audience
        )
        return claims


def _unauthenticated(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )
