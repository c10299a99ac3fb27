"""The framework-neutral half of the server helpers: public URL and request authentication.

Both the aiohttp and the Starlette helper reduce a request to scheme, Host, raw path, headers and
body, then call :func:`public_url` and :func:`authenticate`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ._errors import InvalidSignature, WebhookPayloadError
from ._signature import SIGNATURE_HEADER, RequestValidator
from .events import VideoEvent, parse_event

__all__ = ["authenticate", "check_public_base_url", "make_validator", "public_url"]

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
    trust_forwarded: bool = False,
    public_base_url: str | None = None,
) -> str:
    """Rebuild the URL Twilio requested, which is what it signed.

    ``public_base_url`` (``"https://hooks.example.com"``, or with a path prefix a proxy strips)
    wins when given. Otherwise, with ``trust_forwarded``, the ``Forwarded`` header's
    ``proto``/``host``, else ``X-Forwarded-Proto``/``X-Forwarded-Host``/``X-Forwarded-Port``,
    replace the scheme and host the server saw. Only trust them behind a proxy that overwrites
    these headers: otherwise any client can choose the URL being checked. Malformed values are
    ignored.
    """
    if public_base_url is not None:
        return public_base_url.rstrip("/") + path_qs
    if trust_forwarded:
        forwarded = _forwarded(headers)
        proto = forwarded.get("proto") or _first(headers, "X-Forwarded-Proto")
        fwd_host = forwarded.get("host") or _first(headers, "X-Forwarded-Host")
        port = None if "host" in forwarded else _first(headers, "X-Forwarded-Port")
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
        InvalidSignature: not proven to come from Twilio (answer 403).
        WebhookConfigurationError: the validator lacks the key the request names (answer 500).
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
