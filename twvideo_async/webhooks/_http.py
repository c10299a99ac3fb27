"""The framework-neutral half of the server helpers: public URL and request authentication.

Both the aiohttp and the Starlette helper reduce a request to scheme, Host, raw path, headers and
body, then call :func:`public_url` and :func:`authenticate`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias
from urllib.parse import parse_qsl

from ._errors import InvalidSignature, WebhookConfigurationError, WebhookPayloadError
from ._signature import SIGNATURE_HEADER, RequestValidator
from .events import VideoEvent, parse_event

__all__ = [
    "TrustForwarded",
    "authenticate",
    "check_public_base_url",
    "forwarded_family",
    "make_validator",
    "public_url",
]

# Which proxy headers name the public scheme and host: ``"x-forwarded"`` (``True``) reads only
# X-Forwarded-Proto/-Host/-Port, ``"forwarded"`` only RFC 7239 ``Forwarded``. One family, the
# one the proxy sets: a proxy that overwrites X-Forwarded-* passes a client's ``Forwarded``
# through untouched, so reading both would let any client choose the URL being checked.
TrustForwarded: TypeAlias = bool | Literal["x-forwarded", "forwarded"]

logger = logging.getLogger("twvideo_async.webhooks")

FORM_TYPE = "application/x-www-form-urlencoded"

_HOST = re.compile(r"(?:[A-Za-z0-9._~%!$&'()*+,;=-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_PORT = re.compile(r"[0-9]{1,5}")
# One ``name=value`` of a Forwarded element, then the separator that follows it.
_FORWARDED_PAIR = re.compile(
    r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)=(\"(?:[^\"\\]|\\.)*\"|[^;,\s]*)\s*([;,]|$)"
)


def make_validator(auth_token: str | RequestValidator) -> RequestValidator:
    return auth_token if isinstance(auth_token, RequestValidator) else RequestValidator(auth_token)


def check_public_base_url(public_base_url: str | None) -> None:
    """Fail at setup, not on every callback, when the public base URL cannot be right."""
    if public_base_url is None:
        return
    scheme, sep, rest = public_base_url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or "?" in rest:
        raise ValueError(
            "public_base_url must be the public origin Twilio calls, with an optional path "
            "prefix and no query, e.g. 'https://hooks.example.com' or 'https://example.com/app'"
        )


def forwarded_family(trust_forwarded: object) -> str | None:
    """``None`` (trust no proxy header), ``"x-forwarded"`` or ``"forwarded"``; checked at setup."""
    if trust_forwarded is False or trust_forwarded is None:
        return None
    if trust_forwarded is True:
        return "x-forwarded"
    if trust_forwarded in ("x-forwarded", "forwarded"):
        return str(trust_forwarded)
    raise WebhookConfigurationError(
        "trust_forwarded must be False, True (same as 'x-forwarded'), 'x-forwarded' (the proxy "
        f"sets X-Forwarded-Proto/-Host) or 'forwarded' (it sets Forwarded), got {trust_forwarded!r}"
    )


def _first(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    first = value.split(",", 1)[0].strip()
    return first or None


def _forwarded(headers: Mapping[str, str]) -> dict[str, str]:
    """The first element of an RFC 7239 ``Forwarded`` header: the one the outermost proxy,
    the one Twilio connected to, wrote."""
    value = headers.get("Forwarded")
    pairs: dict[str, str] = {}
    if not value:
        return pairs
    pos = 0
    while pos < len(value):
        match = _FORWARDED_PAIR.match(value, pos)
        if match is None or match.end() == pos:
            break
        name, raw, sep = match.groups()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        pairs.setdefault(name.lower(), raw)
        pos = match.end()
        if sep == ",":
            break
    return pairs


def public_url(
    *,
    scheme: str,
    host: str,
    path_qs: str,
    headers: Mapping[str, str],
    trust_forwarded: TrustForwarded = False,
    public_base_url: str | None = None,
) -> str:
    """Rebuild the URL Twilio requested, which is what it signed.

    ``public_base_url`` (``"https://hooks.example.com"``, or with a path prefix a proxy strips)
    wins when given. Otherwise ``trust_forwarded`` names the one header family the proxy sets:
    ``True`` or ``"x-forwarded"`` reads ``X-Forwarded-Proto``/``X-Forwarded-Host``/
    ``X-Forwarded-Port`` (a ``Forwarded`` header is ignored), ``"forwarded"`` reads the RFC 7239
    ``Forwarded`` header's ``proto``/``host`` (``X-Forwarded-*`` are ignored). They replace the
    scheme and host the server saw. Only trust a family that a proxy you control overwrites:
    otherwise any client can choose the URL being checked. Malformed values are ignored.
    """
    if public_base_url is not None:
        return public_base_url.rstrip("/") + path_qs
    family = forwarded_family(trust_forwarded)
    if family is not None:
        if family == "forwarded":
            forwarded = _forwarded(headers)
            proto, fwd_host, port = forwarded.get("proto"), forwarded.get("host"), None
        else:
            proto = _first(headers, "X-Forwarded-Proto")
            fwd_host = _first(headers, "X-Forwarded-Host")
            port = _first(headers, "X-Forwarded-Port")
        if proto and proto.lower() in ("http", "https"):
            scheme = proto.lower()
        if fwd_host and _HOST.fullmatch(fwd_host):
            host = fwd_host
        if port and _PORT.fullmatch(port) and not re.search(r":[0-9]+$", host):
            host = f"{host}:{port}"
    return f"{scheme}://{host}{path_qs}"


def _json_params(body: bytes) -> list[tuple[str, str]]:
    # Video callbacks are forms; other Twilio webhooks can be JSON. Scalars become the text a
    # form would have carried so the same event parser applies.
    try:
        data = json.loads(body)
    except ValueError:
        raise WebhookPayloadError("body", "not valid JSON") from None
    if not isinstance(data, dict):
        raise WebhookPayloadError("body", "expected a JSON object")
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        if value is None:
            continue
        pairs.append((name, value if isinstance(value, str) else json.dumps(value)))
    return pairs


def authenticate(
    validator: RequestValidator,
    *,
    url: str,
    content_type: str,
    body: bytes,
    query: list[tuple[str, str]],
    headers: Mapping[str, str],
    base_url: str,
) -> VideoEvent:
    """Check the request's signature, then parse its event.

    A form body is signed parameter by parameter; an empty body (GET callbacks) is signed through
    the URL alone and the event comes from the query string; any other body is accepted only if
    the URL carries its ``bodySHA256``.

    Raises:
        InvalidSignature: not proven to come from Twilio (answer 403), including a request
            naming a SharedKey the validator lacks.
        WebhookPayloadError: signed, but the parameters are malformed (answer 400).
    """
    signature = headers.get(SIGNATURE_HEADER)
    params: list[tuple[str, str]] | None = None
    raw_body: bytes | None = None
    if not body:
        event_params: list[tuple[str, Any]] = query
    elif content_type.lower() == FORM_TYPE:
        try:
            text = body.decode("utf-8")
            params = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise InvalidSignature("the form body is not UTF-8") from None
        event_params = params
    else:
        raw_body = body
        event_params = []
    validator.check(url, params, signature, body=raw_body, headers=headers)
    if raw_body is not None:
        event_params = _json_params(raw_body)
    return parse_event(event_params, base_url=base_url)
