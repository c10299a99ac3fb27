"""pytest fixtures for testing apps against the local Video API emulator.

``twvideo_emulator`` starts a seeded :class:`~twvideo_async.testing.Emulator` on a free loopback
port for one test and closes it afterwards; ``twvideo_client`` yields a ``VideoClient`` pointed at
it. Options come from the ``twvideo_emulator_options`` fixture (override it in a conftest) and
from a ``@pytest.mark.twvideo_emulator(...)`` marker on the test, which wins.

The emulator and the client live on the test's event loop, and which loop that is depends on
the runner. So the two public fixtures are plain (sync) fixtures that hand the work to an async
fixture made for the runner of the requesting test: an anyio test (one that uses
``anyio_backend``, as ``@pytest.mark.anyio`` does) gets a plain async fixture, which anyio's
plugin runs; any other test gets a ``pytest_asyncio.fixture``, which pytest-asyncio runs in both
its strict and its auto mode. Without either plugin the fixtures fail with what to install.

This module is loaded into every pytest run of an environment that has the package installed,
so it imports nothing heavy at module level: the emulator and the client load inside fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from twvideo_async import VideoClient

    from .emulator import Emulator

MARKER = "twvideo_emulator"
NO_RUNNER = (
    "{name} is async and this test has no async runner: install pytest-asyncio (and mark the "
    "test @pytest.mark.asyncio, or set asyncio_mode = auto) or use anyio (@pytest.mark.anyio)"
)


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


def _runner_fixture(request: pytest.FixtureRequest, name: str) -> Any:
    """The value of the async fixture ``name`` made for the runner of the requesting test."""
    if "anyio_backend" in request.fixturenames:
        return request.getfixturevalue(f"_{name}_anyio")
    if request.config.pluginmanager.hasplugin("asyncio"):
        return request.getfixturevalue(f"_{name}_asyncio")
    pytest.fail(NO_RUNNER.format(name=name), pytrace=False)


@pytest.fixture
def twvideo_emulator(
    request: pytest.FixtureRequest,
    twvideo_emulator_options: dict[str, Any],  # noqa: ARG001 - requested so tests can parametrize it
) -> Emulator:
    """A started emulator on ``127.0.0.1`` with free ports, closed after the test."""
    # twvideo_emulator_options is named here so tests can parametrize it.
    value: Emulator = _runner_fixture(request, "twvideo_emulator")
    return value


@pytest.fixture
def twvideo_client(
    request: pytest.FixtureRequest,
    twvideo_emulator: Emulator,  # noqa: ARG001 - requested so it starts first
) -> VideoClient:
    """A ``VideoClient`` configured for ``twvideo_emulator``, closed after the test."""
    value: VideoClient = _runner_fixture(request, "twvideo_client")
    return value


def _emulator_fixture() -> Callable[..., AsyncIterator[Emulator]]:
    # A new function object per runner: pytest_asyncio.fixture marks the function it is given,
    # and the anyio variant must stay unmarked so pytest-asyncio (strict mode) leaves it alone.
    async def emulator(
        request: pytest.FixtureRequest, twvideo_emulator_options: dict[str, Any]
    ) -> AsyncIterator[Emulator]:
        from .emulator import Emulator

        options = dict(twvideo_emulator_options)
        marker = request.node.get_closest_marker(MARKER)
        if marker is not None:
            options.update(marker.kwargs)
        options.setdefault("host", "127.0.0.1")
        options.setdefault("port", 0)
        options.setdefault("storage_port", 0)
        async with Emulator(**options) as started:
            yield started

    return emulator


def _client_fixture() -> Callable[..., AsyncIterator[VideoClient]]:
    async def client(twvideo_emulator: Emulator) -> AsyncIterator[VideoClient]:
        from twvideo_async import VideoClient  # imported here: the plugin module stays light

        api_key_sid, api_key_secret = twvideo_emulator.credentials
        async with VideoClient(
            api_key_sid=api_key_sid,
            api_key_secret=api_key_secret,
            base_url=twvideo_emulator.base_url,
        ) as opened:
            yield opened

    return client


_twvideo_emulator_anyio = pytest.fixture(name="_twvideo_emulator_anyio")(_emulator_fixture())
_twvideo_client_anyio = pytest.fixture(name="_twvideo_client_anyio")(_client_fixture())

try:
    import pytest_asyncio
except ImportError:
    pass
else:
    _twvideo_emulator_asyncio = pytest_asyncio.fixture(name="_twvideo_emulator_asyncio")(
        _emulator_fixture()
    )
    _twvideo_client_asyncio = pytest_asyncio.fixture(name="_twvideo_client_asyncio")(
        _client_fixture()
    )
