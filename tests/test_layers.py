"""The package's layer contract (ARCHITECTURE.md): a module imports only from layers below its
own (or from inside its own part), and no two modules import each other, directly or through
others. Every import counts: module level, inside functions, and typing-only ones."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "twvideo_async"

# Bottom first. A module belongs to the first part whose name is its own or a prefix of it
# (``twvideo_async._media.bulk`` is part ``_media``); ``a|b`` names one part with two spellings
# and a trailing ``_`` matches any module starting so. Keep in step with ARCHITECTURE.md.
LAYERS: list[list[str]] = [
    ["_constants", "_version", "_logging", "errors"],
    ["_encoding", "_checks", "_retry", "_response", "models", "tokens"],
    ["_options", "_config", "_deadline", "_decode", "_tracing", "rules", "webhooks"],
    ["_transport", "_body", "_failures", "_ratelimit|_throttle|_redis_"],
    ["_request"],
    ["_pagination"],
    ["_media"],
    ["resources"],
    ["_client"],
    ["__init__"],
    ["archive"],
    ["testing"],
    ["cli|_cli_"],
]

# Imports that break the contract today, each with the issue that removes it. An entry that no
# longer matches an import fails the test, so the list can only shrink.
KNOWN: dict[tuple[str, str], str] = {}


# Same-part imports that close a cycle today (a factory importing its products lazily), each with
# the change that removes it. Same rule: an entry that no longer matches fails the test.
KNOWN_CYCLE_EDGES: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """Every module of the package that ``name`` imports (relative or absolute)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if name else []
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
                if module != "twvideo_async" and not module.startswith("twvideo_async."):
                    continue
                module = module.removeprefix("twvideo_async").lstrip(".")
            targets = []
            for alias in node.names:
                child = f"{module}.{alias.name}" if module else alias.name
                targets.append(child if child in known else module)
        else:
            continue
        for target in targets:
            target = target.removeprefix("twvideo_async").lstrip(".")
            if target in known and target != name:
                yield target


def _part(name: str) -> tuple[int, str]:
    top = name.split(".")[0] if name else "__init__"
    for index, layer in enumerate(LAYERS):
        for part in layer:
            for spelling in part.split("|"):
                if top == spelling or (spelling.endswith("_") and top.startswith(spelling)):
                    return index, part
    raise AssertionError(f"twvideo_async.{name} is in no layer: add it to LAYERS")


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: set(_imports(name, path, known)) for name, path in modules.items()}


def test_every_import_points_down() -> None:
    upward: set[tuple[str, str]] = set()
    for source, targets in _graph().items():
        layer, part = _part(source)
        for target in targets:
            target_layer, target_part = _part(target)
            if target_part == part or target_layer < layer:
                continue
            upward.add((source, target))
    unexpected = sorted(upward - KNOWN.keys())
    assert not unexpected, "imports that point up or sideways: " + ", ".join(
        f"{a} -> {b}" for a, b in unexpected
    )
    stale = sorted(KNOWN.keys() - upward)
    assert not stale, f"KNOWN lists imports that are gone; remove them: {stale}"


def test_no_import_cycles() -> None:
    graph = _graph()
    stale = sorted(e for e in KNOWN_CYCLE_EDGES if e[1] not in graph.get(e[0], set()))
    assert not stale, f"KNOWN_CYCLE_EDGES lists imports that are gone; remove them: {stale}"
    for source, target in [*KNOWN, *KNOWN_CYCLE_EDGES]:
        graph[source].discard(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert not cycles, f"import cycles: {cycles}"


def test_the_contract_sees_imports() -> None:
    """The checker itself: it finds the imports it must judge."""
    graph = _graph()
    assert "_request" in graph["_client"]
    assert "_media.resolve" in graph["resources._media_api"]
    assert "errors" in graph["_media.stream"]
