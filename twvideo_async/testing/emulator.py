"""The public :class:`Emulator`: a stateful Twilio Video v1 server for offline tests and demos.

It runs two ``aiohttp.web`` servers on loopback: the API origin (``emu.base_url``) and a separate
storage origin (``emu.storage_url``) that the ``/Media`` redirects point at, like Twilio's S3.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ._faults.controls import Faults
from ._http.api_app import build_api_app
from ._http.handler_context import ApiContext
from ._state.account_state import State
from ._state.clock import EmulatorClock
from ._state.seeding import Seed, Seeded, populate
from ._storage.media_keystream import media_bytes, media_sha256
from ._storage.media_objects import media_object
from ._storage.origin import StorageContext, StorageRequest, build_storage_app
from ._storage.url_signing import MediaSigner

logger = logging.getLogger("twvideo_async.testing")


class _MalformedRequests(logging.Filter):
    """Logs aiohttp's refusal of a malformed HTTP request (raw non-UTF-8 bytes in the URL, a bad
    header line: aiohttp answers 400 itself; a body its Content-Encoding cannot decode, which
    aiohttp fails again while draining it after the 400) as one WARNING line instead of an ERROR
    with a traceback. The middlewares answer every exception a handler raises, so on this logger
    an exception that is not a protocol error is still a bug and stays an ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        malformed = isinstance(error, (HttpProcessingError, web.RequestPayloadError))
        if malformed and record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "emulator refused a malformed HTTP request: %s"
            record.args = (type(error).__name__,)
            record.exc_info = record.exc_text = None
        return True


# The servers' own logger (aiohttp's default is aiohttp.server), filtered once.
_server_logger = logging.getLogger("twvideo_async.testing.server")
_server_logger.addFilter(_MalformedRequests())


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


class Emulator:
    """A local, stateful Twilio Video v1 API plus its media storage origin.

    Use it as an async context manager (or call :meth:`start` and :meth:`close`)::

        async with Emulator(seed=7) as emu:
            emu.seed(rooms=2, recordings_per_room=3)
            client = VideoClient(*emu.credentials, base_url=emu.base_url)

    Credentials default to values derived from ``seed``; pass ``auth_token`` to also accept the
    account SID + auth token pair. ``strict`` (default) rejects unknown parameters with a 400.
    Compositions complete after ``composition_reads`` reads once their room has ended, or after
    ``composition_delay`` seconds on ``clock`` when that is set.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        account_sid: str | None = None,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        auth_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        storage_port: int = 0,
        strict: bool = True,
        media_size: int = 65_536,
        composition_delay: float | None = None,
        composition_reads: int = 2,
        clock: EmulatorClock | None = None,
        shutdown_timeout: float = 1.0,
    ) -> None:
        if composition_reads < 0:
            raise ValueError("composition_reads must not be negative")
        if media_size < 0:
            raise ValueError("media_size must not be negative")
        rng = random.Random(f"emulator:{seed}")
        self.account_sid = account_sid or f"AC{_hex(rng)}"
        self.api_key_sid = api_key_sid or f"SK{_hex(rng)}"
        secret = api_key_secret or _hex(rng)
        accepted = [(self.api_key_sid, secret)]
        if auth_token is not None:
            accepted.append((self.account_sid, auth_token))
        self.clock = clock or EmulatorClock()
        self.state = State(
            seed=seed,
            account_sid=self.account_sid,
            clock=self.clock,
            media_size=media_size,
            composition_delay=composition_delay,
            composition_reads=composition_reads,
        )
        self.faults = Faults(seed)
        signer = MediaSigner(rng.randbytes(32))
        # One id sequence and one closing event for both origins, as when they shared a context.
        request_ids = random.Random(f"requests:{seed}")
        closing = asyncio.Event()
        self._context = ApiContext(
            state=self.state,
            faults=self.faults,
            signer=signer,
            credentials=accepted,
            strict=strict,
            request_ids=request_ids,
            closing=closing,
        )
        self._storage = StorageContext(
            state=self.state,
            faults=self.faults,
            signer=signer,
            request_ids=request_ids,
            closing=closing,
        )
        self._host = host
        self._port = port
        self._storage_port = storage_port
        self._shutdown_timeout = shutdown_timeout
        self._runners: list[web.AppRunner] = []
        self._base_url: str | None = None
        self._storage_url: str | None = None
        self._started = False

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"<Emulator {where} account={self.account_sid}>"

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the storage origin, then the API origin."""
        if self._started:
            raise RuntimeError("this Emulator was already started; create a new one")
        self._started = True
        try:
            self._storage_url, self._context.storage_port = await self._serve(
                build_storage_app(self._storage), self._storage_port
            )
            self._base_url, _ = await self._serve(build_api_app(self._context), self._port)
        except BaseException:
            await self.close()
            raise

    async def _serve(self, app: web.Application, port: int) -> tuple[str, int]:
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=self._shutdown_timeout, logger=_server_logger
        )
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self._host, port)
        await site.start()
        bound = runner.addresses[0][1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{bound}", bound

    async def close(self) -> None:
        """Stop both servers; stalled or delayed responses are released first."""
        self._context.closing.set()
        self.faults.release_holds()
        runners, self._runners = self._runners, []
        for runner in reversed(runners):
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- addresses and credentials ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API origin, ``http://127.0.0.1:PORT`` (use it as the client's ``base_url``)."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not started")
        return self._base_url

    @property
    def storage_url(self) -> str:
        """The storage origin that ``/Media`` redirects point at (a different port)."""
        if self._storage_url is None:
            raise RuntimeError("the emulator is not started")
        return self._storage_url

    @property
    def credentials(self) -> tuple[str, str]:
        """``(api_key_sid, api_key_secret)`` accepted by the API's Basic auth."""
        return self._context.credentials[0]

    @property
    def storage_requests(self) -> list[StorageRequest]:
        """Every request the storage origin received, oldest first."""
        return self._storage.requests

    # -- data ------------------------------------------------------------------------------------

    def seed(self, spec: Seed | None = None, /, **options: Any) -> Seeded:
        """Create completed rooms with participants, tracks, recordings and compositions.

        Pass a :class:`Seed` or its fields as keywords: ``emu.seed(rooms=3, media_size=1 << 20)``.
        """
        if spec is not None and options:
            raise TypeError("pass either a Seed or keyword options, not both")
        return populate(self.state, spec or Seed(**options))

    def media_size(self, sid: str) -> int:
        """Size in bytes of the media of a recording (``RT``) or composition (``CJ``)."""
        obj = media_object(self.state, sid)
        if obj is None:
            raise KeyError(sid)
        return obj.size

    def media_bytes(self, sid: str) -> bytes:
        """The exact bytes the storage origin serves for ``sid`` (small objects only)."""
        return media_bytes(sid, self.media_size(sid))

    def media_sha256(self, sid: str) -> str:
        """Hex SHA-256 of the bytes the storage origin serves for ``sid``."""
        return media_sha256(sid, self.media_size(sid))


async def serve(
    *,
    port: int = 0,
    storage_port: int = 0,
    host: str = "127.0.0.1",
    seed: int = 0,
    populate_with: Seed | None = None,
    on_ready: Callable[[Emulator], object] | None = None,
    **options: Any,
) -> None:
    """Run an emulator until cancelled (for ``twvideo emulator --port N``).

    Prints nothing: the URLs are logged on ``twvideo_async.testing`` at INFO level and
    ``on_ready(emu)`` is called once both servers listen, so a CLI can show them and the
    credentials.
    """
    async with Emulator(
        seed=seed, host=host, port=port, storage_port=storage_port, **options
    ) as emu:
        if populate_with is not None:
            emu.seed(populate_with)
        logger.info("twvideo emulator: API %s, storage %s", emu.base_url, emu.storage_url)
        if on_ready is not None:
            on_ready(emu)
        await asyncio.Event().wait()
