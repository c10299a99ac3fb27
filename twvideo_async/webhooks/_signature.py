"""``X-Twilio-Signature`` validation.

Twilio signs every status callback: HMAC (SHA-1 by default) keyed with the account's primary Auth
Token, over the full URL it requested followed by each form parameter's name and value, sorted by
name, Base64-encoded. Requests with a JSON body carry ``bodySHA256=<hex>`` in the URL instead: the
signature covers the URL only and the hash covers the body.

Accounts using the Webhooks configuration API can have Twilio sign with a *SharedKey* instead of the
Auth Token; such requests carry ``X-Twilio-Webhooks-Signature-Settings: key=<id>,algorithm=<alg>``
and only the key and hash function change.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urlsplit

from ._errors import InvalidSignature, WebhookConfigurationError

__all__ = [
    "SIGNATURE_HEADER",
    "SIGNATURE_SETTINGS_HEADER",
    "Params",
    "RequestValidator",
    "SignatureAlgorithm",
]

SIGNATURE_HEADER = "X-Twilio-Signature"
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"

#: Form parameters: a mapping (a multidict's repeated keys are all used) or ``(name, value)``
#: pairs, where a name may repeat.
Params: TypeAlias = Mapping[str, Any] | Iterable[tuple[str, str]]


class SignatureAlgorithm(str, enum.Enum):
    """Hash functions Twilio signs with; names as they appear in the settings header."""

    HMAC_SHA1 = "HMAC_SHA1"
    HMAC_SHA256 = "HMAC_SHA256"


_DIGESTS = {
    SignatureAlgorithm.HMAC_SHA1: hashlib.sha1,
    SignatureAlgorithm.HMAC_SHA256: hashlib.sha256,
}


def _values(params: Mapping[str, Any], name: str) -> list[Any]:
    # Multidict flavours differ: aiohttp/multidict use getall, Starlette/Django getlist.
    getall = getattr(params, "getall", None)
    if callable(getall):
        return list(getall(name))
    getlist = getattr(params, "getlist", None)
    if callable(getlist):
        return list(getlist(name))
    return [params[name]]


def _grouped(params: Params | None) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    if params is None:
        return grouped
    if isinstance(params, Mapping):
        for name in params:
            grouped[name] = _values(params, name)
        return grouped
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    return grouped


def _signed_string(url: str, params: Params | None) -> str:
    """The string Twilio signs: the URL, then ``name + value`` per parameter, no separators.

    Names are sorted by code point (the same as byte order in UTF-8). A repeated name contributes
    each distinct value once, values sorted, as Twilio's own Python validator does.
    """
    parts = [url]
    grouped = _grouped(params)
    for name in sorted(grouped):
        values = grouped[name]
        for value in values:
            if not isinstance(value, str):
                raise TypeError(
                    f"form parameter {name!r} has a {type(value).__name__} value; "
                    "only text fields can be signed (file uploads are not Twilio callbacks)"
                )
        for value in sorted(set(values)):
            parts.append(name)
            parts.append(value)
    return "".join(parts)


def _hmac_b64(key: bytes, message: str, algorithm: SignatureAlgorithm) -> str:
    digest = hmac.new(key, message.encode("utf-8"), _DIGESTS[algorithm]).digest()
    return base64.b64encode(digest).decode("ascii")


def _split_authority(url: str) -> tuple[str, str, str]:
    """Cut ``url`` into ``scheme://``, authority and the rest, keeping the rest byte-for-byte.

    ``urlunsplit`` would normalise the URL (drop an empty ``?``, re-case the scheme), and Twilio
    signs the exact string it requested, so the URL is only ever cut, never rebuilt.
    """
    sep = url.find("://")
    if sep < 0:
        raise ValueError("the callback URL must be absolute (scheme://host/path)")
    start = sep + 3
    end = len(url)
    for ch in "/?#":
        idx = url.find(ch, start)
        if idx != -1:
            end = min(end, idx)
    return url[:start], url[start:end], url[end:]


def _host_and_port(authority: str) -> tuple[str, str | None]:
    hostport = authority.rpartition("@")[2]  # credentials are never part of the signed URL
    if hostport.startswith("["):  # IPv6 literal: [::1]:8443
        close = hostport.find("]")
        host, rest = hostport[: close + 1], hostport[close + 1 :]
        return host, rest[1:] if rest.startswith(":") and rest[1:].isdigit() else None
    host, colon, port = hostport.rpartition(":")
    if colon and port.isdigit():
        return host, port
    return hostport, None


def _without_credentials(url: str) -> str:
    prefix, authority, rest = _split_authority(url)
    return prefix + authority.rpartition("@")[2] + rest


def _url_variants(url: str) -> tuple[str, str]:
    """The URL without any port and with an explicit port (the default one if absent).

    Twilio is inconsistent about whether the port it signs is written out, so its validators
    accept both forms; so does this one.
    """
    prefix, authority, rest = _split_authority(url)
    host, port = _host_and_port(authority)
    if port is None:
        port = "443" if prefix.lower() == "https://" else "80"
    return prefix + host + rest, f"{prefix}{host}:{port}{rest}"


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    # A plain dict is case-sensitive; HTTP header names are not.
    wanted = name.lower()
    for key, candidate in headers.items():
        if key.lower() == wanted:
            return candidate
    return None


def _parse_settings(value: str) -> dict[str, str]:
    """Parse ``key=<id>,algorithm=HMAC_SHA256`` into a dict with lower-cased names."""
    settings: dict[str, str] = {}
    for item in value.split(","):
        name, eq, setting = item.partition("=")
        if eq:
            settings[name.strip().lower()] = setting.strip()
    return settings


def _parse_algorithm(value: str | None) -> SignatureAlgorithm | None:
    if not value:
        return None
    normalised = value.strip().upper().replace("-", "_")
    try:
        return SignatureAlgorithm(normalised)
    except ValueError:
        return None


class RequestValidator:
    """Checks that a request really comes from Twilio.

    Args:
        auth_token: the account's **primary Auth Token** (Console > Account info). Twilio signs
            callbacks with it; an API key secret does not work here, and neither does the
            secondary Auth Token until it is promoted. Keep this separate from the API key the
            REST client uses.
        shared_key_secret: only for accounts whose Webhooks configuration API signs this URL
            with a SharedKey: the key's secret, or a mapping ``{key id: secret}`` to accept
            several keys during a rotation. Requests without the
            ``X-Twilio-Webhooks-Signature-Settings`` header are still checked with the Auth Token.

    The validator never includes the token, the expected signature or the URL in an exception,
    log line or ``repr``.
    """

    def __init__(
        self,
        auth_token: str,
        *,
        shared_key_secret: str | Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(auth_token, str) or not auth_token:
            raise WebhookConfigurationError(
                "RequestValidator needs the account's primary Auth Token as a non-empty string"
            )
        self._token = auth_token.encode("utf-8")
        self._shared: bytes | dict[str, bytes] | None
        if shared_key_secret is None:
            self._shared = None
        elif isinstance(shared_key_secret, str):
            if not shared_key_secret:
                raise WebhookConfigurationError("shared_key_secret must not be empty")
            self._shared = shared_key_secret.encode("utf-8")
        else:
            self._shared = {k: v.encode("utf-8") for k, v in shared_key_secret.items()}
            if not self._shared or not all(self._shared.values()):
                raise WebhookConfigurationError(
                    "shared_key_secret mapping must map key ids to non-empty secrets"
                )

    def __repr__(self) -> str:
        shared = "" if self._shared is None else ", shared_key_secret=<redacted>"
        return f"RequestValidator(auth_token=<redacted>{shared})"

    def _key_for(
        self, settings_header: str | None, *, verifying: bool = False
    ) -> tuple[bytes, SignatureAlgorithm]:
        if settings_header is None:
            return self._token, SignatureAlgorithm.HMAC_SHA1
        settings = _parse_settings(settings_header)
        algorithm = _parse_algorithm(settings.get("algorithm"))
        if algorithm is None:
            raise InvalidSignature(
                f"unsupported or missing algorithm in {SIGNATURE_SETTINGS_HEADER}"
            )
        if self._shared is None:
            if verifying:
                # Anyone can add this header: without a shared key the request cannot be proven
                # to come from Twilio, which is a 403, not a server error.
                raise InvalidSignature(
                    f"the request names a Webhooks SharedKey ({SIGNATURE_SETTINGS_HEADER}) but "
                    "the validator has none; pass shared_key_secret= if this URL is configured "
                    "for SharedKey signing"
                )
            raise WebhookConfigurationError(
                f"the request was signed with a Webhooks SharedKey ({SIGNATURE_SETTINGS_HEADER} "
                "is set) but the validator has none: pass shared_key_secret="
            )
        if isinstance(self._shared, bytes):
            return self._shared, algorithm
        key = self._shared.get(settings.get("key", ""))
        if key is None:
            raise InvalidSignature("the request names a SharedKey this validator does not know")
        return key, algorithm

    def compute_signature(
        self,
        url: str,
        params: Params | None = None,
        *,
        signature_settings: str | None = None,
    ) -> str:
        """Return the signature Twilio would send for ``url`` and ``params``.

        ``url`` is used as given (credentials removed, port left as written). With
        ``signature_settings`` (an ``X-Twilio-Webhooks-Signature-Settings`` value) the SharedKey
        and algorithm it names are used instead of the Auth Token and HMAC-SHA1. Useful for tests
        and local emulators that need to send signed callbacks.
        """
        key, algorithm = self._key_for(signature_settings)
        return _hmac_b64(key, _signed_string(_without_credentials(url), params), algorithm)

    def check(
        self,
        url: str,
        params: Params | None,
        signature: str | None,
        *,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Like :meth:`validate`, but raise :class:`InvalidSignature` saying why it failed."""
        if not signature:
            raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
        key, algorithm = self._key_for(_header(headers, SIGNATURE_SETTINGS_HEADER), verifying=True)
        url = _without_credentials(url)
        if body is not None:
            # A body that is not form parameters is only covered through its hash in the URL.
            expected = parse_qs(urlsplit(url).query).get("bodySHA256")
            if not expected:
                raise InvalidSignature("the body is not signed: the URL carries no bodySHA256")
            raw = body.encode("utf-8") if isinstance(body, str) else body
            actual = hashlib.sha256(raw).hexdigest().encode("ascii")
            if not hmac.compare_digest(actual, expected[0].strip().lower().encode("utf-8")):
                raise InvalidSignature("the body does not match bodySHA256")
            params = None
        given = signature.strip().encode("utf-8")
        matched = False
        for candidate in _url_variants(url):
            computed = _hmac_b64(key, _signed_string(candidate, params), algorithm)
            matched |= hmac.compare_digest(computed.encode("ascii"), given)
        if not matched:
            raise InvalidSignature("signature mismatch")

    def validate(
        self,
        url: str,
        params: Params | None,
        signature: str | None,
        *,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Return whether ``signature`` proves the request came from Twilio.

        Args:
            url: the full public URL Twilio requested, query string included (for GET callbacks
                it holds every parameter). Behind a proxy, the URL Twilio saw, not the internal
                one. Signatures computed with and without the default port are both accepted.
            params: the POST form parameters, all of them, untrimmed; ``None`` or empty for GET
                callbacks and JSON bodies.
            signature: the ``X-Twilio-Signature`` header value (``None`` if absent).
            body: the raw body of a non-form request (JSON); checked against the URL's
                ``bodySHA256`` and the signature then covers the URL only.
            headers: the request headers; only ``X-Twilio-Webhooks-Signature-Settings`` is read.

        A request naming a SharedKey (``X-Twilio-Webhooks-Signature-Settings``) is not valid
        when this validator has none: anyone can add that header.
        """
        try:
            self.check(url, params, signature, body=body, headers=headers)
        except InvalidSignature:
            return False
        return True
