"""The README's examples type-check: every fenced ```python block of README.md, as a user would
paste it, passes ``mypy --strict`` (tests/test_readme.py runs the same blocks).

Each block becomes the body of an ``async def`` whose parameters are the names the README's
"About the examples" paragraph declares (``client``, ``emu``, ``room``), so top-level ``await``
and those names type-check as they would in a user's own coroutine. Errors are reported with
their README line.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
_REPORTED = re.compile(r"^[^:]+:(\d+): error: (.*)$")

PRELUDE = """\
from twvideo_async import VideoClient, errors
from twvideo_async.models import Room
from twvideo_async.testing import Emulator


async def example(client: VideoClient, emu: Emulator, room: Room) -> None:
"""


def _modules() -> list[tuple[int, str]]:
    """(README line of the block's first code line, module text) per python block."""
    text = README.read_text()
    modules = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 2
        body = textwrap.indent(match.group(1), "    ", lambda _: True)
        modules.append((line, PRELUDE + body + "    del client, emu, room, errors\n"))
    return modules


def test_every_readme_example_passes_mypy_strict(tmp_path: Path) -> None:
    modules = _modules()
    assert len(modules) >= 10
    offset = PRELUDE.count("\n")
    paths = []
    for index, (_, source) in enumerate(modules):
        path = tmp_path / f"readme_block_{index}.py"
        path.write_text(source)
        paths.append(str(path))
    stdout, stderr, _ = mypy_api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--python-executable",
            sys.executable,
            # Each block is a snippet: a name it defines may shadow one another block defines.
            "--scripts-are-modules",
            *paths,
        ]
    )
    assert not stderr, stderr
    errors = []
    for line in stdout.splitlines():
        match = _REPORTED.match(line)
        if match is None:
            continue
        block = int(re.search(r"readme_block_(\d+)\.py", line).group(1))  # type: ignore[union-attr]
        readme_line = modules[block][0] + int(match.group(1)) - offset - 1
        errors.append(f"README.md:{readme_line}: {match.group(2)}")
    assert not errors, "\n".join(errors)
