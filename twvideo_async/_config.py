"""Configuration a client is built from: credentials, the API base URL, the User-Agent.

Pure functions of their arguments and the environment, so they are tested without a client and
the client module keeps only its lifecycle.
"""

from __future__ import annotations

import base64
import platform
import re
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

import aiohttp
import attrs

from ._constants import DEFAULT_BASE_URL, DEFAULT_REGION_WITH_EDGE
from ._version import __version__
from .errors import ConfigurationError

_SID = re.compile(r"^(SK|AC)[0-9a-fA-F]{32}$")
_ENV_HELP = (
    "No Twilio credentials found. Pass api_key_sid= and api_key_secret= (or account_sid= and "
    "auth_token=), or set TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET (or TWILIO_ACCOUNT_SID "
    "and TWILIO_AUTH_TOKEN) in the environment."
)


@attrs.frozen
class Credentials:
    """A username (API key SID ``SK...`` or Account SID ``AC...``) and its secret."""

    username: str
    secret: str = attrs.field(repr=False)

    @property
    def authorization(self) -> str:
        # Built by hand: aiohttp.BasicAuth and auth= are deprecated since aiohttp 3.14, and a
        # session-level auth= follows cross-origin redirects when no base_url is set.
        token = base64.b64encode(f"{self.username}:{self.secret}".encode()).decode("ascii")
        return f"Basic {token}"


def resolve_credentials(
    api_key_sid: str | None,
    api_key_secret: str | None,
    account_sid: str | None,
    auth_token: str | None,
    environ: Mapping[str, str],
) -> Credentials:
    """Arguments first, then the environment; API keys before Account SID + Auth Token."""
    candidates = [
        ("api_key_sid", "api_key_secret", api_key_sid, api_key_secret),
        ("account_sid", "auth_token", account_sid, auth_token),
    ]
    if not any(user or secret for _, _, user, secret in candidates):
        candidates = [
            (
                "TWILIO_API_KEY_SID",
                "TWILIO_API_KEY_SECRET",
                environ.get("TWILIO_API_KEY_SID"),
                environ.get("TWILIO_API_KEY_SECRET"),
            ),
            (
                "TWILIO_ACCOUNT_SID",
                "TWILIO_AUTH_TOKEN",
                environ.get("TWILIO_ACCOUNT_SID"),
                environ.get("TWILIO_AUTH_TOKEN"),
            ),
        ]
    for user_name, secret_name, user, secret in candidates:
        if not user and not secret:
            continue
        if not user or not secret:
            missing = user_name if not user else secret_name
            raise ConfigurationError(f"{missing} is missing (it goes with {user_name})")
        if not _SID.fullmatch(user):
            raise ConfigurationError(
                f"{user_name} must be an API key SID ('SK' + 32 hex digits) or an Account SID "
                f"('AC' + 32 hex digits); got a value starting {user[:2]!r}"
            )
        return Credentials(user, secret)
    raise ConfigurationError(_ENV_HELP)


def resolve_base_url(base_url: str | None, edge: str | None, region: str | None) -> str:
    """Validate ``base_url`` and apply Twilio's ``{product}.{edge}.{region}.twilio.com`` rewrite.

    The rewrite only touches ``*.twilio.com`` hosts, so a local emulator or proxy URL is used
    as given.
    """
    url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError("base_url must not carry credentials, a query or a fragment")
    host = parts.hostname
    if (edge or region) and host.endswith(".twilio.com"):
        pieces = host.split(".")
        product = pieces[0]
        cur_edge = pieces[1] if len(pieces) == 5 else None
        cur_region = pieces[2] if len(pieces) == 5 else (pieces[1] if len(pieces) == 4 else None)
        new_edge = edge or cur_edge
        new_region = region or cur_region or (DEFAULT_REGION_WITH_EDGE if new_edge else None)
        host = ".".join(p for p in (product, new_edge, new_region, "twilio", "com") if p)
        port = f":{parts.port}" if parts.port else ""
        url = f"{parts.scheme}://{host}{port}{parts.path}"
    return url


def resolve_insights_url(
    insights_base_url: str | None, api_base_url: str, edge: str | None, region: str | None
) -> str:
    """The origin of the Video Insights API, from the resolved API base URL.

    An explicit ``insights_base_url`` is validated and rewritten for ``edge``/``region`` like
    ``base_url``. Otherwise a ``*.twilio.com`` API host gives the same host with ``insights``
    as its product (``video.dublin.ie1.twilio.com`` -> ``insights.dublin.ie1.twilio.com``),
    and any other base URL (an emulator, a proxy) serves Insights too.
    """
    if insights_base_url is not None:
        return resolve_base_url(insights_base_url, edge, region)
    parts = urlsplit(api_base_url)
    host = parts.hostname or ""
    if not host.endswith(".twilio.com"):
        return api_base_url
    rest = host.split(".", 1)[1]
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://insights.{rest}{port}"


def user_agent(extension: str | None) -> str:
    py = ".".join(map(str, sys.version_info[:3]))
    agent = (
        f"twvideo_async/{__version__} (Python/{py}; aiohttp/{aiohttp.__version__}; "
        f"{platform.system()} {platform.machine()})"
    )
    return f"{agent} {extension}" if extension else agent
