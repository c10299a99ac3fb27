import re
from pathlib import Path

import twvideo_async

ROOT = Path(__file__).resolve().parent.parent


def test_version_is_pep440() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]\d+|rc\d+)?", twvideo_async.__version__)


def test_ships_py_typed() -> None:
    assert (ROOT / "twvideo_async" / "py.typed").is_file()


def test_readme_test_command_is_the_one_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    match = re.search(r"^TEST_CMD='(.+)'$", ci, re.M)
    assert match, ".ci/run must define TEST_CMD"
    assert match.group(1) in readme.splitlines()


def test_import_is_lean_until_helpers_are_used() -> None:
    import subprocess
    import sys

    code = (
        "import sys, twvideo_async as t\n"
        "heavy = [m for m in ('cattrs', 'aiohttp.web', 'twvideo_async.webhooks',"
        " 'twvideo_async._media.bulk') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert t.AccessToken.__name__ == 'AccessToken' and t.webhooks.parse_event\n"
        "assert t.Progress.__module__ == 'twvideo_async._media.progress'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
