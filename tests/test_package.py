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
