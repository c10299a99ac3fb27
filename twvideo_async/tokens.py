"""Access tokens for Twilio Video clients (browsers, mobile apps).

A client joins a Room with a short-lived JWT your server mints from an API key::

    token = AccessToken(
        account_sid, api_key_sid, api_key_secret,
        identity="alice", grants=[VideoGrant(room="standup")],
    ).to_jwt()

The token is an HS256 JWT signed with the API key secret, in Twilio's format: header
``{"typ": "JWT", "alg": "HS256", "cty": "twilio-fpa;v=1"}``; claims ``jti``
(``{api_key_sid}-{issued at}``), ``iss`` (the API key SID), ``sub`` (the Account SID), ``iat``,
``exp``, optional ``nbf``, and ``grants`` holding ``identity`` and ``video``. Signing uses only
the standard library (``hmac``, ``hashlib``, ``base64``, ``json``): no JWT package, no network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from .errors import InvalidRequestError

__all__ = ["MAX_TTL", "AccessToken", "AccessTokenError", "Grant", "VideoGrant"]

#: Twilio rejects access tokens valid for more than 24 hours.
MAX_TTL = 24 * 60 * 60

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_API_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")


class AccessTokenError(InvalidRequestError):
    """An access token cannot be built from the given values; the message says what to pass."""


@runtime_checkable
class Grant(Protocol):
    """What an access token grant provides: its key in ``grants`` and its payload."""

    @property
    def key(self) -> str: ...

    def to_payload(self) -> dict[str, Any]: ...


def _check_room(_: Any, __: Any, room: str | None) -> None:
    if room is not None and (not isinstance(room, str) or not room.strip()):
        raise AccessTokenError("VideoGrant room must be a non-empty room name or SID, or None")


@attrs.frozen(kw_only=True)
class VideoGrant:
    """Lets the token's identity join Video Rooms: only ``room`` (a UniqueName or ``RM`` SID)
    when given, any room otherwise."""

    room: str | None = attrs.field(default=None, validator=_check_room)

    @property
    def key(self) -> str:
        return "video"

    def to_payload(self) -> dict[str, Any]:
        return {} if self.room is None else {"room": self.room}


def _check_account_sid(_: Any, __: Any, value: str) -> None:
    if not isinstance(value, str) or not _ACCOUNT_SID.fullmatch(value):
        raise AccessTokenError("account_sid must be 'AC' followed by 32 hex digits")


def _check_api_key_sid(_: Any, __: Any, value: str) -> None:
    if not isinstance(value, str) or not _API_KEY_SID.fullmatch(value):
        raise AccessTokenError(
            "api_key_sid must be an API key SID: 'SK' followed by 32 hex digits "
            "(create one in the Console; the Auth Token cannot sign access tokens)"
        )


def _check_secret(_: Any, __: Any, value: str) -> None:
    # The message deliberately does not echo the value.
    if not isinstance(value, str) or not value:
        raise AccessTokenError("api_key_secret must be the API key's non-empty secret")


def _check_identity(_: Any, __: Any, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise AccessTokenError("identity is required: pass a non-empty user name or id")


def _check_ttl(_: Any, __: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AccessTokenError("ttl must be a whole number of seconds")
    if not 0 < value <= MAX_TTL:
        raise AccessTokenError(f"ttl must be between 1 and {MAX_TTL} seconds (24 h), not {value}")


def _check_grants(_: Any, __: Any, value: tuple[Grant, ...]) -> None:
    for grant in value:
        if not isinstance(grant, Grant):
            raise AccessTokenError(
                f"grants must be grant objects such as VideoGrant, not {grant!r}"
            )
    keys = [grant.key for grant in value]
    if len(set(keys)) != len(keys):
        raise AccessTokenError("grants must not contain two grants of the same kind")


def _as_grants(value: Grant | Iterable[Grant]) -> tuple[Grant, ...]:
    # A single grant is accepted as well as a list of them.
    if isinstance(value, Grant):
        return (value,)
    return tuple(value)


def _to_unix(value: datetime | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if value.tzinfo is None:
        raise AccessTokenError(
            "not_before must be timezone-aware (e.g. datetime.now(timezone.utc))"
        )
    return int(value.timestamp())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@attrs.frozen
class AccessToken:
    """A Twilio access token for one identity; call :meth:`to_jwt` to get the string to hand to
    the client SDK.

    Args:
        account_sid: the Account SID (``AC...``), the token's ``sub``.
        api_key_sid: the API key SID (``SK...``), the token's ``iss``.
        api_key_secret: the API key's secret; signs the token. Never shown by ``repr``.
        identity: the participant identity the client connects as (required).
        ttl: seconds the token stays valid, 1 to 86400 (Twilio's maximum); default one hour.
        grants: what the token allows, e.g. ``[VideoGrant(room="standup")]``.
        not_before: optional ``nbf``: the token is not valid before this aware datetime or Unix
            time.
        region: optional Twilio region the token is meant for (header ``twr``).

    Raises:
        AccessTokenError: a SID is malformed, the identity is empty, ``ttl`` is out of range, ...
    """

    account_sid: str = attrs.field(validator=_check_account_sid)
    api_key_sid: str = attrs.field(validator=_check_api_key_sid)
    api_key_secret: str = attrs.field(validator=_check_secret, repr=False)
    identity: str = attrs.field(kw_only=True, validator=_check_identity)
    ttl: int = attrs.field(default=3600, kw_only=True, validator=_check_ttl)
    grants: tuple[Grant, ...] = attrs.field(
        default=(), kw_only=True, converter=_as_grants, validator=_check_grants
    )
    not_before: int | None = attrs.field(default=None, kw_only=True, converter=_to_unix)
    region: str | None = attrs.field(default=None, kw_only=True)

    def claims(self, *, now: float | None = None) -> dict[str, Any]:
        """The JWT payload ``to_jwt`` signs; ``now`` (Unix time) defaults to the clock."""
        issued = int(time.time() if now is None else now)
        grants: dict[str, Any] = {"identity": self.identity}
        for grant in self.grants:
            grants[grant.key] = grant.to_payload()
        claims: dict[str, Any] = {
            "jti": f"{self.api_key_sid}-{issued}",
            "iss": self.api_key_sid,
            "sub": self.account_sid,
            "iat": issued,
            "exp": issued + self.ttl,
            "grants": grants,
        }
        if self.not_before is not None:
            claims["nbf"] = self.not_before
        return claims

    def headers(self) -> dict[str, Any]:
        """The JWT header ``to_jwt`` uses."""
        header: dict[str, Any] = {"typ": "JWT", "alg": "HS256", "cty": "twilio-fpa;v=1"}
        if self.region:
            header["twr"] = self.region
        return header

    def to_jwt(self, *, now: float | None = None) -> str:
        """Sign and encode the token (HS256 with the API key secret)."""
        signing_input = f"{_b64url(_json(self.headers()))}.{_b64url(_json(self.claims(now=now)))}"
        signature = hmac.new(
            self.api_key_secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256
        ).digest()
        return f"{signing_input}.{_b64url(signature)}"
