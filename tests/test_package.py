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


def test_dir_lists_the_public_names_lazy_ones_included() -> None:
    names = dir(twvideo_async)
    assert names == sorted(twvideo_async.__all__)
    for lazy in ("AccessToken", "AccessTokenError", "MediaStream", "DownloadResult", "webhooks"):
        assert lazy in names
    for helper in ("Any", "TYPE_CHECKING", "importlib", "annotations"):
        assert helper not in names


def test_every_exported_name_resolves() -> None:
    import subprocess
    import sys

    # In a fresh interpreter: resolving the lazy names loads their modules.
    code = (
        "import twvideo_async as t\n"
        "missing = [n for n in t.__all__ if getattr(t, n, None) is None]\n"
        "assert not missing, missing\n"
        "from twvideo_async import AsyncPaginator, Page, AccessTokenError, MediaStream\n"
        "from twvideo_async._pagination import AsyncPaginator as P\n"
        "assert AsyncPaginator is P and AccessTokenError.__module__ == 'twvideo_async.tokens'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert len(set(twvideo_async.__all__)) == len(twvideo_async.__all__)
