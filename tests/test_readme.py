"""Every fenced ```python block of README.md runs, so the README cannot drift from the code.

Each block runs on its own, against a fresh seeded emulator, with the placeholders the README
documents ("About the examples") filled in:

- ``client``: an open ``VideoClient`` on the emulator; ``emu``: the running emulator;
- ``"AC..."``, ``"SK..."``: the emulator's account and API key, ``api_key_secret="..."`` its
  secret;
- ``"RM..."``: a completed room with recordings and a composition, ``"RT..."`` / ``"CJ..."``
  its media, ``"PA..."`` one of its participants;
- ``room``: an in-progress room that alice and bob have joined;
- the environment: ``TWILIO_API_KEY_SID`` / ``TWILIO_API_KEY_SECRET`` (the emulator's key) and
  ``TWILIO_AUTH_TOKEN`` (for the webhook examples).

Blocks are compiled with top-level ``await`` allowed and run in a temporary directory. A block
that builds a web ``app`` gets one signed status callback through a test client and must answer
204. A block that defines pytest tests is run by pytest in a subprocess.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from twvideo_async import VideoClient, errors
from twvideo_async.testing import Emulator, Seed

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
PLACEHOLDER = re.compile(r"\b(AC|SK|RM|RT|CJ|PA)\.\.\.")
SECRET = re.compile(r'(api_key_secret=)"\.\.\."')
AUTH_TOKEN = "readme-auth-token"


def python_blocks() -> Iterator[Any]:
    text = README.read_text()
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 2  # the first line of code
        yield pytest.param(match.group(1), id=f"README.md:{line}")


BLOCKS = list(python_blocks())


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 10


def fill(code: str, values: dict[str, str], secret: str) -> str:
    code = PLACEHOLDER.sub(lambda m: values[m.group(1)], code)
    return SECRET.sub(lambda m: f'{m.group(1)}"{secret}"', code)


async def send_signed_callback(app: Any) -> int:
    """POST one signed RoomEnded callback to the app's first route; return the status."""
    from twvideo_async.webhooks import RequestValidator

    params = {
        "StatusCallbackEvent": "room-ended",
        "RoomSid": "RM" + "a" * 32,
        "RoomName": "standup",
        "RoomStatus": "completed",
        "RoomDuration": "42",
        "AccountSid": "AC" + "b" * 32,
        "Timestamp": "2024-05-01T12:00:00.000Z",
        "SequenceNumber": "1",
    }
    from aiohttp import web

    if isinstance(app, web.Application):
        from aiohttp.test_utils import TestClient, TestServer

        path = next(iter(app.router.routes())).resource.canonical  # type: ignore[union-attr]
        async with TestClient(TestServer(app, host="127.0.0.1")) as http:
            url = str(http.make_url(path))
            signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
            response = await http.post(path, data=params, headers={"X-Twilio-Signature": signature})
            status: int = response.status
            return status
    import httpx

    path = next(r.path for r in app.routes if "POST" in getattr(r, "methods", ()))
    url = f"https://hooks.example.com{path}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://hooks.example.com") as h:
        answer = await h.post(path, data=params, headers={"X-Twilio-Signature": signature})
        return answer.status_code


def run_pytest_block(code: str, directory: Path) -> None:
    (directory / "test_readme_example.py").write_text(code)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme_example.py"],
        cwd=directory,
        # A session of its own: not this one's PYTEST_ADDOPTS (CI's --cov, a developer's -k).
        env={k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout


@pytest.mark.parametrize("code", BLOCKS)
async def test_readme_block_runs(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if re.search(r"^(async )?def test_", code, re.M):
        run_pytest_block(code, tmp_path)
        return
    async with Emulator(seed=5, composition_delay=0.05) as emu:
        data = emu.seed(
            Seed(rooms=1, recordings_per_room=2, compositions_per_room=1, media_size=4096)
        )
        live = emu.state.create_room(unique_name="live")
        emu.state.connect_participant(live, "alice")
        emu.state.connect_participant(live, "bob")
        sid, secret = emu.credentials
        monkeypatch.setenv("TWILIO_API_KEY_SID", sid)
        monkeypatch.setenv("TWILIO_API_KEY_SECRET", secret)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
        values = {
            "AC": emu.account_sid,
            "SK": sid,
            "RM": data.rooms[0],
            "RT": data.recordings[0],
            "CJ": data.compositions[0],
            "PA": data.participants[0],
        }
        source = fill(code, values, secret)
        compiled = compile(source, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        async with VideoClient(sid, secret, base_url=emu.base_url) as client:
            namespace: dict[str, Any] = {
                "__name__": "readme_example",
                "client": client,
                "emu": emu,
                "errors": errors,
                "room": await client.rooms.fetch(live.sid),
            }
            result = eval(compiled, namespace)
            if inspect.iscoroutine(result):
                await result
            app = namespace.get("app")
            if app is not None:
                assert await send_signed_callback(app) == 204


def test_the_enum_story_in_the_readme_holds() -> None:
    """What "Models" says about str enums, checked as stated (decoding: tests/test_models.py)."""
    from twvideo_async.models.enums import RecordingCodec, RecordingStatus

    assert RecordingCodec("opus") is RecordingCodec.OPUS is RecordingCodec("Opus")
    # Typed as plain str: mypy sees an enum literal and a str literal as never equal.
    opus: str = RecordingCodec.OPUS
    completed: str = RecordingStatus.COMPLETED
    assert opus == "OPUS" and opus != "opus"
    table: dict[str, int] = {RecordingCodec.OPUS: 1}
    assert table["OPUS"] == 1  # hash and == agree with str
    assert completed == "completed" and RecordingStatus("COMPLETED") == "completed"
    with pytest.raises(ValueError):
        RecordingCodec("AV2")  # unknown values stay plain str in models, never members
