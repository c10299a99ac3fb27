"""The pytest plugin works as the README says in a new user's project: the built wheel in a fresh
virtualenv with pytest, pytest-asyncio and anyio, running the README's plugin example in
pytest-asyncio's strict mode, its auto mode, and under anyio (with and without pytest-asyncio).

Slow (it builds the wheel and installs packages, using pip's cache) but run by CI like the rest.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNNERS = ["pytest", "pytest-asyncio", "anyio"]


def readme_plugin_example() -> str:
    text = (ROOT / "README.md").read_text()
    blocks: list[str] = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    (example,) = [
        b for b in blocks if "twvideo_client" in b and re.search(r"^async def test_", b, re.M)
    ]
    return example


def run(*argv: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{argv}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def declared_dependencies() -> list[str]:
    """The package's own requirements (no extras), as the installed metadata states them."""
    from importlib.metadata import requires

    return [r for r in requires("twvideo_async") or [] if "extra ==" not in r]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A fresh venv with the wheel and the runners installed, and an empty project directory."""
    work = tmp_path_factory.mktemp("wheel")
    env = work / "venv"
    venv.create(env, with_pip=False)  # the outer pip installs into it: no ensurepip run
    python = env / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    # The wheel builds while the runners and the dependencies install (pip's cache applies);
    # the wheel then installs without an index, which fails if it needs anything else.
    build = subprocess.Popen(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "dist", ROOT],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        run(*pip, *RUNNERS, *declared_dependencies())
        output, _ = build.communicate(timeout=300)
    finally:
        if build.returncode is None:
            build.kill()
            build.communicate()
    assert build.returncode == 0, output
    (wheel,) = (work / "dist").glob("twvideo_async-*.whl")
    run(*pip, "--no-index", wheel)
    app = work / "app"
    app.mkdir()
    return python, app, wheel


def examples() -> dict[str, tuple[str, list[str]]]:
    """Each documented set-up: the test file's text and the pytest options."""
    readme = readme_plugin_example()
    assert "@pytest.mark.asyncio" in readme
    unmarked = readme.replace("@pytest.mark.asyncio", "")
    anyio = re.sub(r"@pytest\.mark\.asyncio\b", "@pytest.mark.anyio", readme)
    no_runner = unmarked + "\n\ndef test_sync(twvideo_emulator):\n    pass\n"
    return {
        "strict": (readme, ["-o", "asyncio_mode=strict"]),
        "auto": (unmarked, ["-o", "asyncio_mode=auto"]),
        "anyio-beside-pytest-asyncio": (anyio, []),
        "anyio-alone": (anyio, ["-p", "no:asyncio"]),
        "no-runner": (no_runner, ["-p", "no:asyncio", "-p", "no:anyio", "-k", "test_sync"]),
    }


@pytest.mark.slow
def test_the_readme_example_in_every_documented_setup(project: tuple[Path, Path, Path]) -> None:
    python, app, _ = project
    procs = {}
    for name, (code, options) in examples().items():
        (app / name).mkdir()
        (app / name / "test_example.py").write_text(code)
        argv: list[str | Path] = [
            python,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-W",
            "error::ResourceWarning",
        ]
        procs[name] = subprocess.Popen(
            [*argv, *options],
            cwd=app / name,
            # A session of its own: not this one's PYTEST_ADDOPTS (CI's --cov, a developer's -k).
            env={k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    outputs = {name: proc.communicate(timeout=300)[0] for name, proc in procs.items()}
    for name in ("strict", "auto", "anyio-beside-pytest-asyncio", "anyio-alone"):
        assert procs[name].returncode == 0 and "1 passed" in outputs[name], outputs[name]
    # With no async runner at all the fixture fails and says what to install.
    text = outputs["no-runner"]
    assert procs["no-runner"].returncode == 1, text
    assert "install pytest-asyncio" in text and "@pytest.mark.anyio" in text, text


@pytest.mark.slow
def test_the_wheel_ships_what_its_metadata_promises(project: tuple[Path, Path, Path]) -> None:
    import zipfile

    wheel = project[2]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    assert "twvideo_async/py.typed" in names
    assert not any(n.startswith(("benchmarks/", "tests/")) for n in names)
    extras = re.findall(r"^Provides-Extra: (\S+)$", text, re.M)
    assert "bench" not in extras and {"cli", "starlette", "test"} <= set(extras)
    assert "Classifier: Typing :: Typed" in text
    assert "Description-Content-Type: text/markdown" in text
