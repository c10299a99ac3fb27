"""The emulator's package layout: subpackages by role that import downward only, and no module
named like one of the SDK's (a reader of a traceback must tell the emulator from the client)."""

from __future__ import annotations

import ast
from pathlib import Path

import twvideo_async

PACKAGE = Path(twvideo_async.__file__).parent
TESTING = PACKAGE / "testing"
# Lowest first: a module may import its own layer and any layer before it, never one after.
LAYERS = ("_twilio_errors", "_state", "_faults", "_storage", "_http", "emulator")


def _layer(module: Path) -> str:
    return module.relative_to(TESTING).parts[0].removesuffix(".py")


def _imported_layers(module: Path) -> set[str]:
    """The testing/ layers ``module`` imports, resolved from its relative imports."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    package = list(module.relative_to(TESTING).parent.parts)
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[: len(package) - (node.level - 1)]
        if base:
            found.add(base[0])
        elif node.module:
            found.add(node.module.split(".")[0])
        else:
            found.update(alias.name for alias in node.names)
    return found


def test_emulator_layers_import_downward_only() -> None:
    checked = 0
    for module in sorted(TESTING.rglob("*.py")):
        layer = _layer(module)
        if layer not in LAYERS:
            continue
        rank = LAYERS.index(layer)
        upward = {name for name in _imported_layers(module) if name in LAYERS[rank + 1 :]}
        assert not upward, f"{module.relative_to(PACKAGE)} imports the higher layer(s) {upward}"
        checked += 1
    assert checked >= 25


def test_no_flat_private_modules_and_no_sdk_module_names() -> None:
    top = sorted(path.name for path in TESTING.iterdir() if path.suffix == ".py")
    assert top == ["__init__.py", "_twilio_errors.py", "emulator.py", "pytest_plugin.py"]
    sdk_names = {
        path.stem.lstrip("_")
        for path in PACKAGE.rglob("*.py")
        if TESTING not in path.parents and path.stem != "__init__"
    }
    emulator_names = {
        path.stem.lstrip("_")
        for path in TESTING.rglob("*.py")
        if path.stem != "__init__" and path.parent != TESTING
    }
    assert not emulator_names & sdk_names
