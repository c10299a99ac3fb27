"""Package metadata (issue 13 item 11): classifiers, URLs that exist, a long description that
reads well off the repository, ignored download folders, no extra for unshipped code."""

from __future__ import annotations

import re
import subprocess
from importlib.metadata import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_classifiers_say_typed_async_and_the_tested_pythons() -> None:
    meta = metadata("twvideo_async")
    classifiers = meta.get_all("Classifier") or []
    for expected in ("Typing :: Typed", "Framework :: AsyncIO", "Framework :: Pytest"):
        assert expected in classifiers
    versions = {c.rsplit(":: ", 1)[1] for c in classifiers if re.search(r":: 3\.\d+$", c)}
    assert min(versions, key=lambda v: tuple(map(int, v.split(".")))) == "3.10"
    assert meta["Requires-Python"] == ">=3.10"


def test_project_urls_are_real_https_urls() -> None:
    urls = metadata("twvideo_async").get_all("Project-URL") or []
    for entry in urls:
        _label, url = entry.split(", ", 1)
        assert url.startswith("https://"), entry
        assert not re.search(r"example\.|localhost|127\.0\.0\.1|TODO|xxx", url), entry


def test_long_description_is_the_readme_and_reads_off_the_repository() -> None:
    meta = metadata("twvideo_async")
    assert meta["Description-Content-Type"] == "text/markdown"
    readme = (ROOT / "README.md").read_text()
    # Links relative to the repository are dead on a package index.
    relative = [t for t in re.findall(r"\]\(([^)]+)\)", readme) if not t.startswith("https://")]
    assert relative == []
    assert 'pip install "twvideo_async[cli]"' in readme  # the install line for index users


def test_no_extra_for_code_outside_the_wheel() -> None:
    extras = metadata("twvideo_async").get_all("Provides-Extra") or []
    assert "bench" not in extras
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'packages = ["twvideo_async"]' in pyproject  # benchmarks/ is not shipped
    assert (ROOT / "benchmarks" / "requirements.txt").is_file()
    assert "benchmarks/requirements.txt" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("folder", ["recordings", "compositions"])
def test_default_download_folders_are_ignored_by_git(folder: str) -> None:
    from twvideo_async.cli import build_parser

    args = build_parser().parse_args([folder, "download"])
    assert args.dest == Path(folder)
    probe = f"{folder}/RT{'0' * 32}.mka"
    proc = subprocess.run(
        ["git", "check-ignore", "--no-index", probe], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, f"{probe} is not ignored by .gitignore"
