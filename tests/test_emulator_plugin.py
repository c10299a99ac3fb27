"""The pytest plugin: ``twvideo_emulator`` starts a seeded emulator per test, takes options from
an overridable fixture and a marker, closes it afterwards; importing the plugin stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

# The plugin is not registered as an entry point yet; a conftest importing its hooks and
# fixtures stands in for that (and keeps working once the entry point exists).
CONFTEST = """
from twvideo_async.testing.pytest_plugin import (
    pytest_configure,
    twvideo_emulator,
    twvideo_emulator_options,
)
"""
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
addopts = --strict-markers
filterwarnings =
    error::ResourceWarning
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    return pytester


def test_fixture_yields_a_started_seeded_emulator(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import base64

        import aiohttp
        import pytest

        SEEN = []


        def basic_auth(user, secret):
            return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()

        async def test_first(twvideo_emulator):
            assert twvideo_emulator.base_url.startswith("http://127.0.0.1:")
            seeded = twvideo_emulator.seed(rooms=1)
            auth = basic_auth(*twvideo_emulator.credentials)
            async with aiohttp.ClientSession() as session:
                async with session.get(
                    twvideo_emulator.base_url + "/v1/Rooms",
                    params={"Status": "completed"},
                    headers={"Authorization": auth},
                ) as response:
                    body = await response.json()
            assert [r["sid"] for r in body["rooms"]] == seeded.rooms
            SEEN.append((twvideo_emulator.credentials, seeded.rooms, twvideo_emulator))

        async def test_second_gets_a_fresh_identical_emulator(twvideo_emulator):
            assert twvideo_emulator.state.rooms == {}
            seeded = twvideo_emulator.seed(rooms=1)
            credentials, rooms, previous = SEEN[0]
            assert previous is not twvideo_emulator
            assert (twvideo_emulator.credentials, seeded.rooms) == (credentials, rooms)
            with pytest.raises(aiohttp.ClientConnectionError):
                async with aiohttp.ClientSession() as session:
                    await session.get(previous.base_url + "/v1/Rooms")
        """
    )
    result = project.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_options_fixture_and_marker(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.fixture
        def twvideo_emulator_options():
            return {"seed": 11, "media_size": 1234}

        async def test_options(twvideo_emulator):
            assert twvideo_emulator.state.media_size == 1234

        @pytest.mark.twvideo_emulator(media_size=99, strict=False)
        async def test_marker_wins(twvideo_emulator):
            assert twvideo_emulator.state.media_size == 99
            assert twvideo_emulator._context.strict is False
        """
    )
    result = project.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_importing_the_plugin_loads_no_emulator_code() -> None:
    code = (
        "import sys, twvideo_async.testing.pytest_plugin\n"
        "loaded = [m for m in sys.modules if m.startswith('twvideo_async.testing.')]\n"
        "print(sorted(loaded))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert output.strip() == "['twvideo_async.testing.pytest_plugin']"


def test_package_exports_load_lazily() -> None:
    import twvideo_async.testing as testing

    assert set(testing.__all__) <= set(dir(testing))
    for name in testing.__all__:
        assert getattr(testing, name) is not None
    with pytest.raises(AttributeError):
        _ = testing.NoSuchThing
