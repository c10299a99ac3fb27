"""The type checker sees the public API's real signatures: each deliberate misuse in
``tests/typing/misuse.py`` is reported by ``mypy --strict``, with the expected error code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

MISUSE = Path(__file__).parent / "typing" / "misuse.py"
_EXPECTED = re.compile(r"#\s*E:\s*([a-z-]+)\s*$")
_REPORTED = re.compile(r"^[^:]+:(\d+): error: .*\[([a-z-]+)\]$")


def test_every_misuse_is_a_type_error(tmp_path: Path) -> None:
    expected = {
        number: match.group(1)
        for number, line in enumerate(MISUSE.read_text().splitlines(), 1)
        if (match := _EXPECTED.search(line))
    }
    assert len(expected) >= 15
    stdout, stderr, _ = mypy_api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path),
            "--python-executable",
            sys.executable,
            str(MISUSE),
        ]
    )
    assert not stderr, stderr
    reported: dict[int, set[str]] = {}
    for line in stdout.splitlines():
        if match := _REPORTED.match(line):
            reported.setdefault(int(match.group(1)), set()).add(match.group(2))
    missing = {n: code for n, code in expected.items() if code not in reported.get(n, set())}
    assert not missing, f"not reported: {missing}\n{stdout}"
    unexpected = sorted(set(reported) - set(expected))
    assert not unexpected, f"errors on lines without a marker: {unexpected}\n{stdout}"
