"""pytest fixtures for testing apps against the local Video API emulator.

``twvideo_emulator`` starts a seeded :class:`~twvideo_async.testing.Emulator` on a free loopback
port for one test and closes it afterwards; ``twvideo_client`` yields a ``VideoClient`` pointed at
it. Options come from the ``twvideo_emulator_options`` fixture (override it in a conftest) and
from a ``@pytest.mark.twvideo_emulator(...)`` marker on the test, which wins.

This module is loaded into every pytest run of an environment that has the package installed,
so it imports nothing heavy at module level: the emulator and the client load inside fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

try:
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - without pytest-asyncio async fixtures cannot run anyway
    _async_fixture = pytest.fixture  # type: ignore[assignment]

if TYPE_CHECKING:
    from twvideo_async import VideoClient

    from .emulator import Emulator

MARKER = "twvideo_emulator"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): Emulator options for the twvideo_emulator fixture "
        "(seed, strict, media_size, composition_delay, ...)",
    )


@pytest.fixture
def twvideo_emulator_options() -> dict[str, Any]:
    """Keyword arguments for the emulator; override this fixture to change them."""
    return {"seed": 0}


@_async_fixture
async def twvideo_emulator(
    request: pytest.FixtureRequest, twvideo_emulator_options: dict[str, Any]
) -> AsyncIterator[Emulator]:
    """A started emulator on ``127.0.0.1`` with free ports, closed after the test."""
    from .emulator import Emulator

    options = dict(twvideo_emulator_options)
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        options.update(marker.kwargs)
    options.setdefault("host", "127.0.0.1")
    options.setdefault("port", 0)
    options.setdefault("storage_port", 0)
    async with Emulator(**options) as emulator:
        yield emulator


@_async_fixture
async def twvideo_client(twvideo_emulator: Emulator) -> AsyncIterator[VideoClient]:
    """A ``VideoClient`` configured for ``twvideo_emulator``, closed after the test."""
    from twvideo_async import VideoClient  # imported here: the plugin module stays light

    api_key_sid, api_key_secret = twvideo_emulator.credentials
    async with VideoClient(
        api_key_sid=api_key_sid,
        api_key_secret=api_key_secret,
        base_url=twvideo_emulator.base_url,
    ) as client:
        yield client
