"""The decode layer sits apart from the models: ``twvideo_async._decode`` imports the models,
the models never import the decode layer or its libraries (cattrs' rule: un/structuring rules
live apart from the classes)."""

from __future__ import annotations

import ast
from pathlib import Path

import twvideo_async

PACKAGE = Path(twvideo_async.__file__).parent
FORBIDDEN_IN_MODELS = ("twvideo_async._decode", "cattrs", "msgspec")


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = node.module or ""
            if node.level:
                target = f"{base}.{target}" if target else base
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def test_models_never_import_the_decode_layer() -> None:
    files = sorted((PACKAGE / "models").glob("*.py"))
    assert files
    for path in files:
        bad = {
            name
            for name in _imports(path)
            for forbidden in FORBIDDEN_IN_MODELS
            if name == forbidden or name.startswith(forbidden + ".")
        }
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_the_decode_layer_imports_the_models() -> None:
    imported = set().union(*(_imports(p) for p in (PACKAGE / "_decode").glob("*.py")))
    assert "twvideo_async.models" in imported


def test_the_old_serde_modules_are_gone() -> None:
    # One place for the decode rules: no second copy under its old name.
    assert not (PACKAGE / "_serde.py").exists()
    assert not (PACKAGE / "models" / "_wire.py").exists()
    assert not (PACKAGE / "models" / "_codegen.py").exists()
